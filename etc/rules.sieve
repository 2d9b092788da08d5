# helpdeskd routing rules: Sieve (RFC 5228) plus the helpdesk extension. See docs/rules.md.
# Check:    helpdeskd rules check
# Dry run:  helpdeskd rules test etc/demo/mail/*.eml
#
# How the decision is made: the FIRST command that sets the category (`category` or
# `fileinto`), owner (`assign`), priority or template decides it; `tag`s add up. Rules that
# come first win, so put specific rules before general ones. `discard` makes no request
# (the raw mail is still kept, with this file's name and line as the reason).

require ["fileinto", "envelope", "subaddress", "variables", "regex", "relational",
         "comparator-i;ascii-numeric", "vnd.helpdeskd"];

# Monitoring systems and bounces: keep them out of the customers' queue, and never
# acknowledge them (an auto-reply to a robot starts a mail loop).
if anyof (header :contains "auto-submitted" "auto-generated",
          address :localpart "from" ["mailer-daemon", "nagios", "zabbix", "noreply", "no-reply"],
          header :is "precedence" ["bulk", "junk", "list"]) {
  noack;
  tag "automatic";
}
if address :domain "from" "monitoring.example.com" {
  discard;
  stop;
}

# Replies to an existing request: no new routing, no new acknowledgement.
if followup {
  noack;
  stop;
}

# support+billing@example.com and support+sales@...: the address detail names the queue.
if envelope :detail "to" "billing" {
  fileinto "billing";
} elsif address :detail ["to", "cc"] "billing" {
  fileinto "billing";
}

# Invoices in Dutch, Norwegian, Swedish, English and German subjects.
if header :regex "subject" "\\b(factuur|faktura|fakturan|fakturaen|invoice|rechnung|betaling|betalning|payment)\\b" {
  fileinto "billing";
}

# VIP customers: urgent, and straight to a senior agent.
if address :domain "from" ["bakkerij-devries.nl", "bigcorp.example"] {
  priority "urgent";
  assign "anna";
  tag "vip";
}

# Urgent by the sender's own flag (X-Priority: 1 or 2).
if header :value "le" :comparator "i;ascii-numeric" "x-priority" "2" {
  priority "urgent";
}

# Everything else lands in its mailbox's own category ([[mailbox]] category) with the default
# priority. Do not end with an unconditional `category "general";`: it would override every
# mailbox's category (`helpdeskd rules check` warns about such a rule).
