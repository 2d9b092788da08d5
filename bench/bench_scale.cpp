// bench_scale: the agent views on a big database (issue 22).
//
//   bench_scale build --dir DIR --requests N [--seed S]
//   bench_scale time  --dir DIR [--reps R] [--helpdeskd BIN] [--intake M [--warm W]] [--url URL]
//   bench_scale sql   --dir DIR 'SELECT ...' ...
//   bench_scale intake --dir DIR --intake M [--warm W] [--into big|empty|both] [--statements K]
//
// build: writes DIR/helpdeskd.toml (users, categories, priorities as in etc/helpdeskd.toml)
// and DIR/hd.db. First S requests (default 2,000) go through the real ingest path: raw mail
// written in six languages (en, nl, de, no, sv, fr; every fifth one multipart with an HTML
// part, every tenth with an attachment), parsed by mailparse, routed to a category and
// sometimes an owner, stored by store::ingest with an acknowledgement queued in the same
// transaction, 1-3 mails per request (replies thread by In-Reply-To); then 80 % are closed
// with close_request and every acknowledgement is marked sent, group-committed 100 at a time.
// Then the seed is copied with SQL (new ids, Message-IDs and dates; one round per copy, each
// round one transaction with its full-text indexing) until there are N requests (N rounded
// up to a multiple of S). The copies end at the present, the oldest are years old. The SQL of
// the copy is bench-only and schema-generic (columns read from PRAGMA table_info), so the
// same program builds a database for the current schema and for older builds.
//
// time: opens DIR/hd.db (migrating it when the build is newer: the time is printed) and times
// each agent view R times (default 10) in this process: `requests list` (every request by id,
// the CLI's default before schema 11; active requests newest first, its default since; open
// ones newest first), `requests show` of R different ids, `dashboard` of agent
// anna, `requests search printer` (a common word), and `status` (mailbox status and outbox
// counts). With --helpdeskd, the same commands as whole CLI processes. With --intake M, M new
// mails (default 0) ingested into DIR/hd.db and into an empty database, 100 per transaction,
// parse included, the two sides' transactions alternated: mails/s of each. Prints min, median and
// max in milliseconds. With --url postgresql://..., the views are timed on that PostgreSQL database
// instead (one that `helpdeskd db copy --to URL` filled from DIR/hd.db; the CLI processes get
// DIR/helpdeskd-pg.toml, DIR's configuration with the URL); --intake is SQLite's only.
//
// intake: only the intake of `time --intake M`, into DIR/hd.db, into an empty database or
// both (the default), so that each can be run under a profiler on its own. Both: the two
// sides' transactions alternate, each timed on its own, so that a slow spell of the machine
// falls on both. With --statements K, each side also prints the K SQL statements that took
// the longest in all (SQLite's own profile of each statement run: count, total and mean, the
// pages it fetched from SQLite's page cache a run and those it read from the file in all; a
// trigger's work is in the statement that fired it), and the pages it wrote. The profile
// costs some time itself: compare sides, not runs.
//
// Intake writes on one connection per side, with the page cache `helpdeskd run` gives the
// connection it stores mail on ([database] cache_mb). With --warm W (default 0), each side
// first writes W mails untimed on that connection, as a daemon has before a burst: the
// figures are then those of the daemon's writer in its steady state, its page cache holding
// what the mail before read; without it, those of a writer just opened (after a restart).
#include "hd/common/config.hpp"
#include "hd/common/digest.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/store.hpp"
#include "hd/storage/views.hpp"
#include "hd/storage/workflow.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using hd::storage::store;

[[noreturn]] void die(const std::string& what) {
  fmt::print(stderr, "bench_scale: {}\n", what);
  std::exit(1);
}

template <class R>
auto check(R&& r, const char* what) {
  if (!r) die(fmt::format("{}: {}", what, r.error().message));
  if constexpr (!std::is_void_v<typename std::decay_t<R>::value_type>) return std::move(*r);
}

constexpr const char* config_text = R"(
[database]
path = "hd.db"
synchronous = "normal"
[[priority]]
name = "normal"
first_response_hours = 8
resolution_hours = 40
default = true
[[priority]]
name = "urgent"
first_response_hours = 1
resolution_hours = 8
[[user]]
login = "anna"
[[user]]
login = "ole"
[[user]]
login = "karin"
[[user]]
login = "jan"
[[category]]
name = "general"
members = ["anna", "ole"]
[[category]]
name = "billing"
members = ["karin"]
[[category]]
name = "hardware"
members = ["anna", "jan"]
[[category]]
name = "access"
members = ["ole", "jan"]
)";

// Sentences per language; "printer" is in about half of the mails, as a common word is.
struct language {
  const char* code;
  std::vector<const char*> subjects;
  std::vector<const char*> sentences;
};

const std::vector<language>& languages() {
  static const std::vector<language> list = {
      {"en",
       {"The printer on the second floor does not work", "Invoice {} is wrong",
        "Cannot log in since this morning", "Question about my order {}"},
       {"Since the update yesterday the printer prints only empty pages.",
        "We have restarted the machine twice, but nothing changes.",
        "Could you please look at this as soon as possible?",
        "The invoice lists two licences, we ordered one.",
        "My password was reset but the new one is not accepted.",
        "Thank you in advance for your help.", "The error code on the display is E-{}."}},
      {"nl",
       {"Printer op kantoor doet het niet", "Factuur {} klopt niet", "Kan niet inloggen",
        "Vraag over bestelling {}"},
       {"Sinds de update van gisteren print de printer alleen lege pagina's.",
        "We hebben de computer twee keer opnieuw opgestart, zonder resultaat.",
        "Kunt u hier zo snel mogelijk naar kijken?",
        "Op de factuur staan twee licenties, wij hebben er één besteld.",
        "Mijn wachtwoord is gewijzigd maar het nieuwe werkt niet.", "Alvast bedankt voor uw hulp.",
        "De foutcode op het scherm is E-{}."}},
      {"de",
       {"Der Drucker im Büro funktioniert nicht", "Rechnung {} ist falsch",
        "Anmeldung nicht möglich", "Frage zu Bestellung {}"},
       {"Seit dem Update gestern druckt der Drucker (printer HP) nur leere Seiten.",
        "Wir haben den Rechner zweimal neu gestartet, ohne Erfolg.",
        "Könnten Sie sich das bitte so schnell wie möglich ansehen?",
        "Auf der Rechnung stehen zwei Lizenzen, bestellt haben wir eine.",
        "Mein Passwort wurde zurückgesetzt, aber das neue wird nicht angenommen.",
        "Vielen Dank im Voraus für Ihre Hilfe.", "Der Fehlercode auf dem Display ist E-{}."}},
      {"no",
       {"Skriveren på kontoret virker ikke", "Faktura {} er feil", "Får ikke logget inn",
        "Spørsmål om bestilling {}"},
       {"Etter oppdateringen i går skriver printeren bare ut tomme sider.",
        "Vi har startet maskinen på nytt to ganger, uten at noe endrer seg.",
        "Kan dere se på dette så snart som mulig?", "Fakturaen viser to lisenser, vi bestilte én.",
        "Passordet mitt ble tilbakestilt, men det nye blir ikke godtatt.",
        "Takk på forhånd for hjelpen.", "Feilkoden på skjermen er E-{}."}},
      {"sv",
       {"Skrivaren på kontoret fungerar inte", "Faktura {} är fel", "Kan inte logga in",
        "Fråga om beställning {}"},
       {"Sedan uppdateringen i går skriver printern bara ut tomma sidor.",
        "Vi har startat om datorn två gånger utan resultat.",
        "Kan ni titta på detta så snart som möjligt?",
        "På fakturan står två licenser, vi beställde en.",
        "Mitt lösenord återställdes men det nya godtas inte.", "Tack på förhand för hjälpen.",
        "Felkoden på skärmen är E-{}."}},
      {"fr",
       {"L'imprimante du bureau ne marche pas", "La facture {} est fausse",
        "Impossible de me connecter", "Question sur la commande {}"},
       {"Depuis la mise à jour d'hier, l'imprimante (printer Canon) n'imprime que des pages "
        "blanches.",
        "Nous avons redémarré l'ordinateur deux fois, sans résultat.",
        "Pourriez-vous regarder cela dès que possible ?",
        "La facture indique deux licences, nous en avons commandé une.",
        "Mon mot de passe a été réinitialisé mais le nouveau n'est pas accepté.",
        "Merci d'avance pour votre aide.", "Le code d'erreur affiché est E-{}."}},
  };
  return list;
}

unsigned next(unsigned& seed) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

std::string body_of(const language& l, unsigned seed, std::size_t size) {
  std::string out = "Hello,\n\n";
  while (out.size() < size) {
    std::string s =
        fmt::format(fmt::runtime(l.sentences[next(seed) % l.sentences.size()]), next(seed) % 1000);
    out += s;
    out += next(seed) % 4 == 0 ? "\n\n" : " ";
  }
  return out + "\n\nKind regards,\nA customer\n";
}

// The seed's customer for request R: 1,500 names at 97 companies, so that the 2,000 requests
// of the seed come from 2,000 customers and a longer run meets them again.
std::string seed_sender(int r) {
  return fmt::format("Customer {0} <customer{0}@company{1}.example>", r % 1500, r % 97);
}

// One raw mail: request R's Kth mail (K > 0: a reply to the first) from FROM.
std::string raw_mail(int r, int k, std::int64_t date, const std::string& from) {
  const language& l = languages()[static_cast<std::size_t>(r) % languages().size()];
  unsigned seed = static_cast<unsigned>(r * 7 + k * 131 + 1);
  std::string subject =
      fmt::format(fmt::runtime(l.subjects[static_cast<std::size_t>(r / 6) % 4]), 1000 + r);
  if (k > 0) subject = "Re: " + subject;
  std::size_t size = 600 + next(seed) % 2400;
  std::string text = body_of(l, seed, size);
  char datebuf[64];
  std::time_t t = static_cast<std::time_t>(date);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(datebuf, sizeof datebuf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string h = fmt::format(
      "From: {0}\r\nTo: Support <support@example.com>\r\nSubject: {1}\r\nDate: {2}\r\n"
      "Message-ID: <{3}.{4}@mail.example>\r\nMIME-Version: 1.0\r\n",
      from, subject, datebuf, r, k);
  if (k > 0) h += fmt::format("In-Reply-To: <{}.0@mail.example>\r\n", r);
  if (r % 5 == 0 || r % 10 == 3) {
    std::string parts;
    parts +=
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
        "8bit\r\n\r\n" +
        text + "\r\n";
    if (r % 5 == 0) {
      parts += "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>" + text +
               "</p></body></html>\r\n";
    } else {
      parts +=
          "--b1\r\nContent-Type: application/octet-stream; name=\"log.txt\"\r\n"
          "Content-Disposition: attachment; filename=\"log.txt\"\r\nContent-Transfer-Encoding: "
          "base64\r\n\r\nRXJyb3IgbG9nOiBwcmludGVyIEUtMTAxIGF0IDEwOjAwOjAwCkVycm9yIGxvZzogcHJpbnRlci"
          "BFLTEwMgo=\r\n";
    }
    return h + "Content-Type: multipart/" + (r % 5 == 0 ? "alternative" : "mixed") +
           "; boundary=\"b1\"\r\n\r\n" + parts + "--b1--\r\n";
  }
  return h + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
         text;
}

// An acknowledgement as the daemon renders one (etc/templates/ack.*: a few lines).
hd::storage::outgoing_mail ack_of(const hd::storage::ingest_outcome& o, std::int64_t now,
                                  const std::string& to) {
  hd::storage::outgoing_mail m;
  m.kind = "ack";
  m.mail_from = "support@example.com";
  m.recipients = {to};
  m.message_id = fmt::format("ack.{}.{}@example.com", o.request_id, now);
  m.subject = fmt::format("[#{}] We have received your request", o.request_id);
  m.text = fmt::format(
      "Hello,\n\nThank you for your message. We have registered it as request {0} and will "
      "answer as soon as we can, normally within one working day.\n\nPlease keep [#{0}] in the "
      "subject when you write to us about it, so that your mail reaches the right person.\n\n"
      "Kind regards,\nThe support team\nExample Company\n",
      o.request_id);
  m.bytes = fmt::format(
      "From: Support <support@example.com>\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\n"
      "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
      "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
      m.recipients[0], m.subject, m.message_id, m.text);
  return m;
}

// config_text, parsed once: the build's users and categories, and the priorities' due-time
// targets that every ingest gets, as the daemon passes its config's (pipeline.cpp). The bench
// opens its database by path, so the config's own relative paths are not used.
const hd::config& bench_config() {
  static const hd::config c = [] {
    auto cfg = hd::parse_config(config_text, "helpdeskd.toml", ".",
                                [](const std::string&) { return std::optional<std::string>(); });
    if (!cfg) die("config: " + cfg.error().message);
    return std::move(*cfg);
  }();
  return c;
}

const std::vector<hd::priority_config>& bench_priorities() { return bench_config().priorities; }

struct ingester {
  store& db;

  hd::storage::ingest_outcome one(const std::string& raw, std::int64_t now, int r) {
    auto parsed = hd::mailparse::parse(raw);
    if (!parsed) die("parse: " + parsed.error().message);
    hd::storage::inbound in;
    in.source.mailbox = "support";
    in.raw = raw;
    in.parsed = &*parsed;
    in.now = now;
    static const char* cats[] = {"general", "billing", "hardware", "access"};
    static const char* owners[] = {"", "anna", "", "ole", "karin", "", "jan", ""};
    in.route.category = cats[r % 4];
    in.route.owner = owners[r % 8];
    in.route.priority = r % 10 == 0 ? "urgent" : "normal";
    in.targets = &bench_priorities();
    // As the intake's unit of work (daemon/intake/src/pipeline.cpp, write_mail): the request
    // written with its due times, the acknowledgement queued after ingest, in the same
    // transaction (the caller's write batch), with the storage work acknowledge() does for it
    // (daemon/intake/src/ack.cpp): the suppression and rate-limit checks, the request's facts
    // for the template, the auto-reply log's row and the ack_queued event; then the due times
    // of any request still without them. Only the rules and the template's rendering are left
    // out.
    auto o = check(db.ingest(in), "ingest");
    if (o.kind == hd::storage::ingest_kind::created) {
      hd::storage::outgoing_mail ack = ack_of(o, now, hd::ascii_lower(parsed->from->addr));
      const std::string& to = ack.recipients[0];
      if (check(hd::storage::suppression_of(db, to, now), "suppression"))
        die("the bench's customer is suppressed");
      check(hd::storage::count_auto_replies(db, to, now - 600), "rate limit");
      check(hd::storage::ack_facts_of(db, o, *parsed), "ack facts");
      check(hd::storage::record_auto_reply(db, to, o.request_id, now), "auto-reply log");
      check(hd::storage::add_request_event(db, o.request_id, now, "ack_queued",
                                           "acknowledgement to " + to + " in 'en' (default)"),
            "event");
      check(hd::storage::queue_mails(db, o.request_id, {ack}, now), "queue");
    }
    if (o.kind != hd::storage::ingest_kind::duplicate)
      check(hd::storage::apply_deadlines(db, bench_priorities()), "deadlines");
    return o;
  }
};

// Requests [first, first + count) with 1-3 mails each (1 + r % 3), mail by mail: request R's
// Kth mail at time T, the clock moving GAP seconds a mail.
class mail_sequence {
 public:
  mail_sequence(int first, int count, std::int64_t t0, int gap)
      : r_(first), end_(first + count), t_(t0), gap_(gap) {}
  bool done() const { return r_ >= end_; }
  int request() const { return r_; }
  int mail() const { return k_; }
  std::int64_t time() const { return t_; }
  void next() {
    t_ += gap_;
    if (++k_ == 1 + r_ % 3) {
      k_ = 0;
      ++r_;
    }
  }

 private:
  int r_, end_, k_ = 0;
  std::int64_t t_;
  int gap_;
};

// Who writes an intake run's new requests: one in k_new_customer_every is a customer never
// seen before; the rest are returning customers, drawn at random from KNOWN (the database's
// customers, read before the run) or, when that is empty (an empty database), from this
// run's earlier senders. The request's replies come from its sender.
class customers {
 public:
  explicit customers(std::vector<std::string> known) : known_(std::move(known)) {}

  const std::string& sender(int r, int k) {
    if (k > 0 && r == current_request_) return current_;
    unsigned seed = static_cast<unsigned>(r) * 2654435761u + 17;
    unsigned pick = next(seed);
    const std::vector<std::string>& pool = known_.empty() ? seen_ : known_;
    if (pool.empty() || pick % k_new_customer_every == 0) {
      // A new address lands anywhere in the address index, as real ones do.
      current_ = fmt::format("New Customer {0} <{1:08x}.new{0}@company{2}.example>", r, next(seed),
                             r % 97);
      seen_.push_back(current_);
    } else {
      current_ = pool[next(seed) % pool.size()];
    }
    current_request_ = r;
    return current_;
  }

  static constexpr unsigned k_new_customer_every = 4;

 private:
  std::vector<std::string> known_, seen_;
  std::string current_;
  int current_request_ = -1;
};

// The next transaction of SEQ: up to 100 mails, from the seed's customers, or from WHO when
// given. Returns how many it stored; the ids of the requests it created are added to CREATED
// unless it is null.
int ingest_batch(store& db, ingester& in, mail_sequence& seq, customers* who = nullptr,
                 std::vector<std::int64_t>* created = nullptr) {
  auto batch = check(hd::storage::write_batch::begin(db), "begin");
  int n = 0;
  for (; n < 100 && !seq.done(); ++n, seq.next()) {
    int r = seq.request();
    std::string from = who ? who->sender(r, seq.mail()) : seed_sender(r);
    auto o = in.one(raw_mail(r, seq.mail(), seq.time(), from), seq.time(), r);
    if (created && seq.mail() == 0) created->push_back(o.request_id);
  }
  check(batch.commit(), "commit");
  return n;
}

// Ingests requests [first, first + count) with 1-3 mails each, 100 mails per transaction.
// Returns the ids of the requests created.
std::vector<std::int64_t> ingest_requests(store& db, int first, int count, std::int64_t t0,
                                          int gap) {
  ingester in{db};
  std::vector<std::int64_t> ids;
  mail_sequence seq(first, count, t0, gap);
  while (!seq.done()) ingest_batch(db, in, seq, nullptr, &ids);
  return ids;
}

// --- bulk copy (bench-only SQL) ---

struct raw_db {
  sqlite3* db = nullptr;
  explicit raw_db(const fs::path& p) {
    if (sqlite3_open(p.c_str(), &db) != SQLITE_OK) die("sqlite3_open");
    sqlite3_busy_timeout(db, 10000);
  }
  ~raw_db() { sqlite3_close(db); }
  void exec(const std::string& q) {
    char* err = nullptr;
    if (sqlite3_exec(db, q.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      die("sql: " + e + "\n  in: " + q.substr(0, 300));
    }
  }
  std::int64_t integer(const std::string& q) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr) != SQLITE_OK) die("prepare: " + q);
    std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
  }
  // Column COL of every row Q returns, as text.
  std::vector<std::string> texts(const std::string& q, int col = 0) {
    sqlite3_stmt* st = nullptr;
    std::vector<std::string> out;
    if (sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr) != SQLITE_OK) die("prepare: " + q);
    while (sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, col)));
    sqlite3_finalize(st);
    return out;
  }
  std::vector<std::string> columns(const std::string& table) {
    return texts("PRAGMA table_info(" + table + ")", 1);
  }
};

// How many copy rounds share one copy of the seed's customers.
constexpr int k_rounds_per_customers = 4;

// How each copied column changes: ids shift by the round's offset, times by its time shift.
struct copy_plan {
  const char* table;
  std::string seed_rows;  // which rows are the seed
  std::map<std::string, std::string> shift;
};

void copy_round(raw_db& d, int round, std::int64_t dt,
                const std::map<std::string, std::int64_t>& max) {
  auto off = [&](const char* what) { return fmt::format("{}", max.at(what) * round); };
  std::string t = fmt::format("{}", dt);
  std::string rq = off("requests"), ms = off("messages"), rw = off("raw_messages"),
              ob = off("outbox"), ev = off("events");
  // Every k_rounds_per_customers-th round also copies the seed's customers, under new
  // addresses; the rounds between reuse the last copy's: a customer writes about that many
  // times over the years.
  int generation = round / k_rounds_per_customers;
  std::string pp = fmt::format("{}", max.at("persons") * generation);
  auto plus = [](const std::string& c, const std::string& o) { return c + " + " + o; };
  std::vector<copy_plan> plans;
  if (round % k_rounds_per_customers == 0) {
    plans.push_back({"persons",
                     "id <= " + std::to_string(max.at("persons")),
                     {{"id", plus("id", pp)}, {"created_at", plus("created_at", t)}}});
    plans.push_back({"person_addresses",
                     "person_id <= " + std::to_string(max.at("persons")),
                     {{"address", fmt::format("'g{}.' || address", generation)},
                      {"person_id", plus("person_id", pp)}}});
  }
  std::vector<copy_plan> rest = {
      {"raw_messages",
       "id <= " + std::to_string(max.at("raw_messages")),
       {{"id", plus("id", rw)}, {"received_at", plus("received_at", t)}}},
      {"requests",
       "id <= " + std::to_string(max.at("requests")),
       {{"id", plus("id", rq)},
        {"merged_into", plus("merged_into", rq)},
        {"linked_to", plus("linked_to", rq)},
        {"created_at", plus("created_at", t)},
        {"updated_at", plus("updated_at", t)},
        {"closed_at", plus("closed_at", t)},
        {"postponed_until", plus("postponed_until", t)},
        {"first_response_due", plus("first_response_due", t)},
        {"resolution_due", plus("resolution_due", t)},
        {"first_response_at", plus("first_response_at", t)},
        {"person_id", plus("person_id", pp)}}},
      {"request_tags",
       "request_id <= " + std::to_string(max.at("requests")),
       {{"request_id", plus("request_id", rq)}}},
      {"messages",
       "id <= " + std::to_string(max.at("messages")),
       {{"id", plus("id", ms)},
        {"request_id", plus("request_id", rq)},
        {"raw_id", plus("raw_id", rw)},
        {"message_id", fmt::format("message_id || '.c{}'", round)},
        {"person_id", plus("person_id", pp)},
        {"sent_at", plus("sent_at", t)},
        {"created_at", plus("created_at", t)}}},
      {"message_addresses",
       "message_id <= " + std::to_string(max.at("messages")),
       {{"message_id", plus("message_id", ms)}}},
      {"message_attachments",
       "message_id <= " + std::to_string(max.at("messages")),
       {{"message_id", plus("message_id", ms)}}},
      {"message_defects",
       "message_id <= " + std::to_string(max.at("messages")),
       {{"message_id", plus("message_id", ms)}}},
      {"events",
       "id <= " + std::to_string(max.at("events")),
       {{"id", plus("id", ev)}, {"request_id", plus("request_id", rq)}, {"at", plus("at", t)}}},
      {"outbox",
       "id <= " + std::to_string(max.at("outbox")),
       {{"id", plus("id", ob)},
        {"request_id", plus("request_id", rq)},
        {"message_id", plus("message_id", ms)},
        {"next_attempt_at", plus("next_attempt_at", t)},
        {"created_at", plus("created_at", t)},
        {"sent_at", plus("sent_at", t)},
        {"claimed_at", plus("claimed_at", t)}}},
  };
  plans.insert(plans.end(), rest.begin(), rest.end());
  for (const copy_plan& p : plans) {
    std::vector<std::string> cols = d.columns(p.table), exprs;
    for (const std::string& c : cols) {
      auto it = p.shift.find(c);
      exprs.push_back(it == p.shift.end() ? c : it->second);
    }
    d.exec(fmt::format("INSERT INTO {0} ({1}) SELECT {2} FROM {0} WHERE {3}", p.table,
                       fmt::join(cols, ", "), fmt::join(exprs, ", "), p.seed_rows));
  }
  // The insert trigger queued the copies for the full-text index (schema 9 and later): the
  // caller indexes them through storage, into the index's windows (schema 19).
}

void build(const fs::path& dir, int n, int seed_requests) {
  fs::create_directories(dir);
  for (const char* f : {"hd.db", "hd.db-wal", "hd.db-shm"}) fs::remove(dir / f);
  { std::ofstream(dir / "helpdeskd.toml") << config_text; }
  const hd::config& cfg = bench_config();
  int rounds = (n + seed_requests - 1) / seed_requests;
  int gap = 60;  // seconds between mails of the seed
  std::int64_t span = std::int64_t{seed_requests} * 2 * gap;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::int64_t t0 = now - span * rounds;  // the seed is the oldest round
  auto start = std::chrono::steady_clock::now();
  {
    hd::storage::open_options opt;
    opt.synchronous_full = false;
    store db = check(store::open((dir / "hd.db").string(), opt), "open");
    check(hd::storage::sync_directory(db, cfg), "sync_directory");
    std::vector<std::int64_t> ids = ingest_requests(db, 0, seed_requests, t0, gap);
    auto b = check(hd::storage::write_batch::begin(db), "begin");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i % 5 != 0) {
        check(hd::storage::close_request(db, ids[i], {"anna", t0 + span}), "close");
      }
    }
    auto queued = check(hd::storage::claim_outbox(db, now, 1000000), "claim");
    for (const auto& it : queued)
      check(hd::storage::mark_sent(db, it.id, t0 + span, "250 ok"), "sent");
    check(b.commit(), "commit");
    check(hd::storage::apply_deadlines(db, cfg.priorities), "deadlines");
  }
  double seed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  raw_db d(dir / "hd.db");
  std::map<std::string, std::int64_t> max;
  for (const char* t : {"requests", "messages", "raw_messages", "outbox", "events", "persons"})
    max[t] = d.integer(fmt::format("SELECT MAX(id) FROM {}", t));
  hd::storage::open_options index_opt;
  index_opt.synchronous_full = false;
  store indexer = check(store::open((dir / "hd.db").string(), index_opt), "open");
  for (int r = 1; r < rounds; ++r) {
    d.exec("BEGIN");
    copy_round(d, r, span * r, max);
    d.exec("COMMIT");
    check(hd::storage::index_queued_messages(indexer), "index");
  }
  d.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  double all_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::int64_t requests = d.integer("SELECT COUNT(*) FROM requests");
  std::int64_t messages = d.integer("SELECT COUNT(*) FROM messages");
  auto bytes = fs::file_size(dir / "hd.db");
  fmt::print(
      "built {}: {} requests ({} seed through ingest in {:.1f} s, {} copies), {} messages, "
      "schema {}, {:.1f} MB ({:.2f} MB per 1,000 requests), {:.1f} s in all\n",
      (dir / "hd.db").string(), requests, seed_requests, seed_s, rounds - 1, messages,
      d.integer("PRAGMA user_version"), static_cast<double>(bytes) / 1e6,
      static_cast<double>(bytes) / 1e3 / static_cast<double>(requests), all_s);
}

// --- timing ---

struct stats {
  double min, median, max;
};

stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2,
          v.back()};
}

template <class F>
stats time_it(int reps, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto s = std::chrono::steady_clock::now();
    f(i);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  return summarize(ms);
}

void report(const std::string& what, const stats& s, const std::size_t* rows = nullptr,
            const char* unit = "rows") {
  std::string note = rows ? fmt::format("{} {}", *rows, unit) : "";
  fmt::print("  {:<44} median {:9.2f} ms  min {:9.2f}  max {:9.2f}{}\n", what, s.median, s.min,
             s.max, note.empty() ? "" : "  " + note);
}

// --statements: SQLite's profile of every statement run on any connection opened after
// enable_statement_profile(), summed by SQL text for each connection.
struct statement_cost {
  std::int64_t runs = 0, ns = 0;
  std::int64_t pages = 0;   ///< pages fetched from SQLite's page cache (hits and misses)
  std::int64_t misses = 0;  ///< of them, pages it had to read from the file
};
using statement_costs = std::map<std::string, statement_cost>;
std::map<sqlite3*, statement_costs>& costs_by_connection() {
  static std::map<sqlite3*, statement_costs> costs;
  return costs;
}

int on_statement_profile(unsigned, void*, void* stmt, void* ns) {
  const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
  sqlite3* db = sqlite3_db_handle(static_cast<sqlite3_stmt*>(stmt));
  statement_cost& c = costs_by_connection()[db][sql ? sql : "?"];
  ++c.runs;
  c.ns += *static_cast<sqlite3_int64*>(ns);
  // The connection's page fetches since the statement before: this one's, as statements
  // here run one at a time (a trigger's are its statement's).
  int hit = 0, miss = 0, high = 0;
  sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &hit, &high, 1);
  sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &miss, &high, 1);
  c.pages += hit + miss;
  c.misses += miss;
  return 0;
}

// The connection opened last: the store just opened, when profiling.
sqlite3*& last_connection() {
  static sqlite3* db = nullptr;
  return db;
}

int profile_connection(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, on_statement_profile, nullptr);
  last_connection() = db;
  return SQLITE_OK;
}

void enable_statement_profile() {
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(profile_connection));
}

// The pages DB wrote since the last call (the figure is read and reset). The pages fetched
// are counted by statement (on_statement_profile).
void print_pages_written(sqlite3* db) {
  auto take = [&](int op) {
    int cur = 0, high = 0;
    sqlite3_db_status(db, op, &cur, &high, 1);
    return cur;
  };
  int write = take(SQLITE_DBSTATUS_CACHE_WRITE), spill = take(SQLITE_DBSTATUS_CACHE_SPILL);
  fmt::print("    pages written: {}", write);
  if (spill > 0) fmt::print(" ({} of them spilled to the WAL inside a transaction)", spill);
  fmt::print("\n");
}

void reset_page_counts(sqlite3* db) {
  for (int op : {SQLITE_DBSTATUS_CACHE_HIT, SQLITE_DBSTATUS_CACHE_MISS, SQLITE_DBSTATUS_CACHE_WRITE,
                 SQLITE_DBSTATUS_CACHE_SPILL}) {
    int cur = 0, high = 0;
    sqlite3_db_status(db, op, &cur, &high, 1);
  }
}

void print_statement_profile(sqlite3* db, int top) {
  const statement_costs& costs = costs_by_connection()[db];
  std::vector<std::pair<std::string, statement_cost>> v(costs.begin(), costs.end());
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
  statement_cost all;
  for (const auto& [sql, c] : v) {
    all.ns += c.ns;
    all.pages += c.pages;
    all.misses += c.misses;
  }
  fmt::print(
      "    statements, {:.3f} s in all; {} pages fetched from SQLite's cache, {} of them read "
      "from the file (per statement: pages fetched a run, pages read in all):\n",
      static_cast<double>(all.ns) / 1e9, all.pages, all.misses);
  for (int i = 0; i < top && i < static_cast<int>(v.size()); ++i) {
    std::string sql = v[static_cast<std::size_t>(i)].first;
    std::replace(sql.begin(), sql.end(), '\n', ' ');
    sql.erase(
        std::unique(sql.begin(), sql.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
        sql.end());
    const statement_cost& c = v[static_cast<std::size_t>(i)].second;
    fmt::print("    {:8.1f} ms {:7} runs {:8.1f} us {:6.1f} pages {:5} read  {}\n",
               static_cast<double>(c.ns) / 1e6, c.runs,
               static_cast<double>(c.ns) / 1e3 / static_cast<double>(c.runs),
               static_cast<double>(c.pages) / static_cast<double>(c.runs), c.misses,
               sql.substr(0, 90));
  }
}

// This thread's CPU seconds (user and system).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// The daemon's idle merge step (daemon/service: the intake service's storage worker).
constexpr int k_merge_pages = 500;

// The store as `helpdeskd run` opens it with the default config: synchronous = FULL, a
// checkpoint in a commit only once the WAL holds [database] checkpoint_pages.
hd::storage::open_options daemon_options() {
  hd::storage::open_options o;
  o.wal_autocheckpoint_pages = hd::database_config{}.checkpoint_pages;
  return o;
}

// One side of an intake run: its store, the next mail to write, and the figures so far.
// Mails are written 100 per transaction, as requests [first, first + count) with 1-3 mails
// each; the mails' clock starts at T0 and moves a second a mail, faster than real time.
class intake_side {
 public:
  intake_side(const fs::path& path, int first, int count, std::int64_t t0, bool profiled,
              std::vector<std::string> known)
      : path_(path),
        db_(check(store::open(path.string(), daemon_options()), "open")),
        in_{db_},
        seq_(first, count, t0, 1),
        who_(std::move(known)) {
    if (profiled) connection_ = last_connection();
    // The page cache `helpdeskd run` gives the connection it stores mail on.
    check(hd::storage::set_page_cache(db_, hd::database_config{}.cache_mb), "page cache");
    // The daemon merges the search index's segments when it has been idle (the storage
    // worker's idle task), then copies the WAL into the file: what the previous run left is
    // merged and copied first, as after a quiet spell.
    auto m = std::chrono::steady_clock::now();
    while (check(hd::storage::merge_search_index(db_, k_merge_pages), "merge")) ++merge_steps_;
    check(hd::storage::checkpoint_wal(db_), "checkpoint");
    merge_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - m).count();
    // The auto-reply log holds the last two days of automatic mail, whatever the history
    // (docs/replies.md). This clock moves a mail a second, so what earlier runs left would
    // stand for a day and more of traffic at 86,400 mails a day: the log is pruned up to this
    // run's start, as the daemon would once its horizon had passed, so that both sides start
    // with the same recent traffic (none) and differ only by their history.
    check(hd::storage::prune_auto_replies(db_, t0), "prune");
    // Requests an older bench left without due times get them, as the daemon's first mail
    // would give them.
    check(hd::storage::apply_deadlines(db_, bench_priorities()), "deadlines");
    restart_figures();
  }
  intake_side(const intake_side&) = delete;
  intake_side& operator=(const intake_side&) = delete;

  bool done() const { return seq_.done(); }

  // The next transaction of up to 100 mails, timed.
  void batch() {
    if (done()) return;
    auto s = std::chrono::steady_clock::now();
    double c = cpu_seconds();
    stored_ += ingest_batch(db_, in_, seq_, &who_);
    cpu_ += cpu_seconds() - c;
    wall_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
  }

  double rate() const { return stored_ / wall_; }
  int stored() const { return stored_; }

  // Forgets the figures so far (after the untimed warm-up): the store and its connection,
  // with what its page cache holds, go on.
  void restart_figures() {
    stored_ = 0;
    wall_ = cpu_ = 0;
    if (connection_) {
      costs_by_connection()[connection_].clear();
      reset_page_counts(connection_);
    }
  }

  std::string seconds() const {
    return fmt::format("{:.3f} s, CPU {:.3f} s (before it, idle merging: {} steps, {:.3f} s)",
                       wall_, cpu_, merge_steps_, merge_);
  }

  void print_profile(int top) const {
    if (!connection_) return;
    fmt::print("  {}:\n", path_.string());
    print_statement_profile(connection_, top);
    print_pages_written(connection_);
  }

 private:
  fs::path path_;
  store db_;
  ingester in_;
  sqlite3* connection_ = nullptr;
  mail_sequence seq_;
  customers who_;
  int stored_ = 0;
  double wall_ = 0, cpu_ = 0;
  double merge_ = 0;     ///< seconds merging the search index before the run (not timed)
  int merge_steps_ = 0;  ///< merge_search_index steps that wrote
};

// M mails into DIR/hd.db (its highest request id read first) and/or into an empty database.
// Both: the two sides' transactions alternate (big, empty, empty, big, ...), each timed on its
// own, so that the machine's slow spells, which last seconds on a shared host, fall on both
// sides alike instead of on whichever ran in them.
void time_intake(const fs::path& dir, int intake, const std::string& into, int statements = 0,
                 int warm = 0) {
  fs::path path = dir / "hd.db";
  std::int64_t n = 0, newest = 0;
  std::vector<std::string> known;
  {
    raw_db d(path);
    n = d.integer("SELECT COALESCE(MAX(id), 0) FROM requests");
    // A run's mails are a second apart, so an earlier run on this file left times up to an
    // hour ahead of the clock. Starting before them would put each new request and ack in
    // the middle of the queues' indexes (due time, creation time), where a daemon in real
    // time only ever appends: this run goes on from the newest.
    // created_at has no index: the newest request by id (each run goes on from the last).
    newest =
        d.integer("SELECT COALESCE((SELECT created_at FROM requests ORDER BY id DESC LIMIT 1), 0)");
    // The returning customers of the run, drawn at random from all the database's customers
    // (before the run, untimed).
    for (const std::string& a : d.texts(fmt::format(
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
             "SELECT address FROM person_addresses WHERE rowid IN (SELECT abs(random() % "
             "(SELECT MAX(rowid) FROM person_addresses)) + 1 FROM n)",
             intake / 2)))
      known.push_back("Customer <" + a + ">");
  }
  fs::path empty = dir / "empty.db";
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(empty.string() + s);
  std::int64_t now = std::time(nullptr);
  int requests = (intake + warm) / 2;  // 1-3 mails each: 2 on average
  {
    std::optional<intake_side> big, small;
    if (into != "empty")
      big.emplace(path, static_cast<int>(n) + 1000000, requests, std::max(now, newest + 1),
                  statements > 0, std::move(known));
    if (into != "big")
      small.emplace(empty, 0, requests, now, statements > 0, std::vector<std::string>{});
    // The warm-up: whole transactions, alternated as the timed ones are, untimed.
    for (int i = 0; (big && big->stored() < warm) || (small && small->stored() < warm); ++i) {
      if (big && big->stored() < warm) big->batch();
      if (small && small->stored() < warm) small->batch();
    }
    if (big) big->restart_figures();
    if (small) small->restart_figures();
    for (int i = 0; (big && !big->done()) || (small && !small->done()); ++i) {
      if (i % 2 == 0) {
        if (big) big->batch();
        if (small) small->batch();
      } else {
        if (small) small->batch();
        if (big) big->batch();
      }
    }
    if (big) big->print_profile(statements);
    if (small) small->print_profile(statements);
    int timed = big ? big->stored() : small->stored();
    fmt::print("intake, {} mails, 100 per transaction, synchronous FULL, parse included{}{}:\n",
               timed, big && small ? ", the two sides' transactions alternated" : "",
               warm > 0
                   ? fmt::format(", after {} mails written untimed on the same connection", warm)
                   : std::string(", on a connection just opened"));
    if (big) fmt::print("  into this database: {}\n", big->seconds());
    if (small) fmt::print("  into an empty one: {}\n", small->seconds());
    if (big && small) {
      fmt::print("  into this database {:.0f} mails/s, into an empty one {:.0f} mails/s: {:.2f}x\n",
                 big->rate(), small->rate(), big->rate() / small->rate());
    } else {
      fmt::print("  into {} {:.0f} mails/s\n", big ? "this database" : "an empty one",
                 big ? big->rate() : small->rate());
    }
  }
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(empty.string() + s);
}

void time_views(const fs::path& dir, int reps, const std::string& helpdeskd, int intake,
                const std::string& url, int warm) {
  fs::path path = dir / "hd.db";
  auto t = std::chrono::steady_clock::now();
  store db = check(store::open(url.empty() ? path.string() : url), "open");
  double open_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  std::int64_t n = check(db.list_requests([] {
                     hd::storage::request_filter f;
                     f.limit = 1;
                     f.descending = true;
                     return f;
                   }()),
                         "list")
                       .front()
                       .id;
  fmt::print("database {}, highest request id {}, schema {}; open (and migrate) {:.0f} ms\n",
             url.empty() ? fmt::format("{} ({:.1f} MB)", path.string(),
                                       static_cast<double>(fs::file_size(path)) / 1e6)
                         : std::string("on PostgreSQL (--url)"),
             n, check(db.version(), "version"), open_ms);
  fmt::print("in-process, {} repetitions:\n", reps);
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::size_t rows = 0;
  report("requests list (default filter)",
         time_it(reps, [&](int) { rows = check(db.list_requests({}), "list").size(); }), &rows);
  report("requests list --status open, newest first",
         time_it(reps,
                 [&](int) {
                   hd::storage::request_filter f;
                   f.status = "open";
                   f.descending = true;
                   rows = check(db.list_requests(f), "list").size();
                 }),
         &rows);
  report("requests show ID (a different ID each time)", time_it(reps, [&](int i) {
           std::int64_t id = 1 + (n - 1) * (i + 1) / (reps + 1);
           check(hd::storage::show_request(db, id), "show");
         }));
  report("dashboard --as anna",
         time_it(reps,
                 [&](int) {
                   check(hd::storage::apply_deadlines(db, {}), "deadlines");
                   auto v = check(hd::storage::dashboard(db, "anna", now), "dashboard");
                   rows = v.mine.size() + v.unassigned.size() + v.overdue.size();
                 }),
         &rows);
  report("requests search printer",
         time_it(reps,
                 [&](int) {
                   rows = check(hd::storage::search_requests(db, "printer"), "search").size();
                 }),
         &rows, "hits");
  report("status", time_it(reps, [&](int) {
           check(hd::storage::list_mailbox_status(db), "status");
           check(hd::storage::count_outbox(db), "outbox");
         }));
  if (!helpdeskd.empty()) {
    fmt::print("whole CLI processes ({}), {} repetitions:\n", helpdeskd, reps);
    std::string conf = "helpdeskd.toml";
    if (!url.empty()) {
      // DIR's configuration with [database] url in place of path.
      std::ifstream in(dir / "helpdeskd.toml");
      std::stringstream text;
      text << in.rdbuf();
      std::string c = text.str();
      std::size_t p = c.find("path = \"hd.db\"");
      if (p == std::string::npos)
        die("no path = \"hd.db\" in " + (dir / "helpdeskd.toml").string());
      c.replace(p, std::string_view("path = \"hd.db\"").size(), "url = \"" + url + "\"");
      conf = "helpdeskd-pg.toml";
      std::ofstream(dir / conf) << c;
    }
    std::string base = fmt::format("cd '{}' && '{}' --config {} ", dir.string(), helpdeskd, conf);
    for (std::string c : {"requests list", "requests show ID", "dashboard --as anna",
                          "requests search printer", "status"}) {
      report(c, time_it(reps, [&](int i) {
               std::string cmd = c;
               if (auto p = cmd.find("ID"); p != std::string::npos)
                 cmd.replace(p, 2, std::to_string(1 + (n - 1) * (i + 1) / (reps + 1)));
               if (std::system((base + cmd + " >/dev/null").c_str()) != 0) die("failed: " + cmd);
             }));
    }
  }
  if (intake > 0 && !url.empty()) fmt::print("intake: --intake times SQLite only\n");
  if (intake > 0 && url.empty()) time_intake(dir, intake, "both", 0, warm);
}

// sql: each statement run once in this process, with hd_fold registered (the sqlite3 shell
// cannot read messages_fts); prints its time and the first column of its first row.
void time_sql(const fs::path& dir, const std::vector<std::string>& statements) {
  store db = check(store::open((dir / "hd.db").string()), "open");  // registers hd_fold
  raw_db d(dir / "hd.db");
  for (const std::string& q : statements) {
    auto s = std::chrono::steady_clock::now();
    std::int64_t v = d.integer(q);
    fmt::print(
        "{:9.2f} ms  {:>10}  {}\n",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count(), v,
        q);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: bench_scale build|time --dir DIR [options] (see the source)");
  std::string cmd = argv[1];
  fs::path dir = "bench-scale";
  int requests = 10000, seed = 2000, reps = 10, intake = 0, top_statements = 0, warm = 0;
  std::string helpdeskd, url, into = "both";
  std::vector<std::string> statements;
  for (int i = 2; i < argc; i += 2) {
    std::string a = argv[i];
    if (cmd == "sql" && a.rfind("--", 0) != 0) {
      statements.push_back(a);
      --i;
      continue;
    }
    if (i + 1 == argc) die("option " + a + " needs a value");
    std::string v = argv[i + 1];
    if (a == "--dir")
      dir = v;
    else if (a == "--requests")
      requests = std::atoi(v.c_str());
    else if (a == "--seed")
      seed = std::atoi(v.c_str());
    else if (a == "--reps")
      reps = std::atoi(v.c_str());
    else if (a == "--helpdeskd")
      helpdeskd = fs::absolute(v).string();
    else if (a == "--intake")
      intake = std::atoi(v.c_str());
    else if (a == "--url")
      url = v;
    else if (a == "--into" && (v == "big" || v == "empty" || v == "both"))
      into = v;
    else if (a == "--statements")
      top_statements = std::atoi(v.c_str());
    else if (a == "--warm")
      warm = std::atoi(v.c_str());
    else
      die("unknown option " + a);
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  fmt::print("bench_scale {}: load average {:.2f} {:.2f} {:.2f}\n", cmd, load[0], load[1], load[2]);
  if (cmd == "build")
    build(dir, requests, seed);
  else if (cmd == "time")
    time_views(dir, reps, helpdeskd, intake, url, warm);
  else if (cmd == "sql")
    time_sql(dir, statements);
  else if (cmd == "intake" && intake > 0) {
    if (top_statements > 0) enable_statement_profile();
    time_intake(dir, intake, into, top_statements, warm);
  } else
    die("unknown command " + cmd);
  if (getloadavg(load, 3) >= 0)
    fmt::print("load average after: {:.2f} {:.2f} {:.2f}\n", load[0], load[1], load[2]);
  return 0;
}
