// The shared real-world corpus (tests/fixtures/corpus/, copied from ../shared/corpus/): every
// file parses, and for each one the subject, sender, a body line and the attachment names are
// what a person reading the mail would expect.
#include "hd/common/utf8.hpp"
#include "hd/mailparse/parser.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string attachment_names(const hd::parsed_message& m) {
  std::string out;
  for (const hd::attachment& a : m.attachments) out += (out.empty() ? "" : "|") + a.filename;
  return out;
}

struct row {
  const char* file;
  const char* want_subject;  ///< nullptr: no Subject header
  const char* want_from;     ///< nullptr: no sender
  const char* want_text;     ///< a line of the body; "" = not checked
  const char* want_attachments;
};

// clang-format off
const row k_rows[] = {
    {"cpython/msg_01.txt", "This is a test message", "bbb@ddd.com", "Do you like this message?", ""},
    {"cpython/msg_02.txt", "Ppp digest, Vol 1 #2 - 5 msgs", "ppp-request@zzz.org", "Send Ppp mailing list submissions to", "[Ppp] testing #1.eml|part-2.eml|[Ppp] testing #3.eml|[Ppp] testing #4.eml|[Ppp] testing #5.eml"},
    {"cpython/msg_03.txt", "This is a test message", "bbb@ddd.com", "Do you like this message?", ""},
    {"cpython/msg_04.txt", "a simple multipart", "barry@python.org", "a simple kind of mirror", "msg.txt|msg.txt"},
    {"cpython/msg_05.txt", "bar", "foo", "Yadda yadda yadda", "part-1.eml"},
    {"cpython/msg_06.txt", "forwarded message from Barry A. Warsaw", "barry@python.org", "", "testing.eml"},
    {"cpython/msg_07.txt", "Here is your dingus fish", "barry@digicool.com", "Hi there,", "dingusfish.gif"},
    {"cpython/msg_08.txt", "Lyrics", "barry@python.org", "", ""},
    {"cpython/msg_09.txt", "Lyrics", "barry@python.org", "", ""},
    {"cpython/msg_10.txt", "Lyrics", "barry@python.org", "This is a 7bit encoded message.", ""},
    {"cpython/msg_11.txt", "The enclosing message", nullptr, "", "An enclosed message.eml"},
    {"cpython/msg_12.txt", "Lyrics", "barry@python.org", "", ""},
    {"cpython/msg_12a.txt", "Lyrics", "barry@python.org", "", ""},
    {"cpython/msg_13.txt", "Here is your dingus fish", "barry@digicool.com", "A text/plain part", "dingusfish.gif"},
    {"cpython/msg_14.txt", "This is a test message", "bbb@ddd.com", "I'm sorry but I'm using a drainbread ISP", ""},
    {"cpython/msg_15.txt", "XX", "xx@xx.dk", "Some removed test.", "xx.gif"},
    {"cpython/msg_16.txt", "Delivery Notification: Delivery has failed", "postmaster@ucla.edu", "This report relates to a message you sen", "part-1.txt|[scr] yeah for Ians!!.eml"},
    {"cpython/msg_17.txt", "Here is your dingus fish", "barry@digicool.com", "Hi there,", ""},
    {"cpython/msg_18.txt", nullptr, nullptr, "", ""},
    {"cpython/msg_19.txt", nullptr, nullptr, "Send Ppp mailing list submissions to", ""},
    {"cpython/msg_20.txt", "This is a test message", "bbb@ddd.com", "Do you like this message?", ""},
    {"cpython/msg_21.txt", "Test", "aperson@dom.ain", "", ""},
    {"cpython/msg_22.txt", nullptr, "b@example.com", "Text text text.", "wibble.JPG|wibble2.JPG"},
    {"cpython/msg_23.txt", nullptr, "aperson@dom.ain", "A message part", ""},
    {"cpython/msg_24.txt", "A subject", "bperson@dom.ain", "", ""},
    {"cpython/msg_25.txt", "Returned mail: Too many hops 19 (17 max): from <linuxuser-admin@www.linux.org.uk> via [199.164.235.226], to <scoffman@wellpartner.com>", "MAILER-DAEMON@zinfandel.lacita.com", "This is a MIME-encapsulated message", ""},
    {"cpython/msg_26.txt", "IMAP file test", "father.time@xcar.wooster.local", "Simple email with attachment.", "clock.bmp"},
    {"cpython/msg_27.txt", "bug demonstration\t12345678911234567892123456789312345678941234567895123456789612345678971234567898112345678911234567892123456789112345678911234567892123456789\tmore text", "aperson@dom.ain", "test", ""},
    {"cpython/msg_28.txt", nullptr, "aperson@dom.ain", "", "ee.eml|ee.eml"},
    {"cpython/msg_29.txt", "This is a test message", "bbb@ddd.com", "Do you like this message?", ""},
    {"cpython/msg_30.txt", nullptr, "aperson@dom.ain", "", "ee.eml|ee.eml"},
    {"cpython/msg_31.txt", nullptr, "aperson@dom.ain", "--BOUNDARY", ""},
    {"cpython/msg_32.txt", "Re: Limiting Perl CPU Utilization...", "aperson@example.com", "Some message.", ""},
    {"cpython/msg_33.txt", "Re: Limiting Perl CPU Utilization...", "aperson@example.com", "part 1", ""},
    {"cpython/msg_34.txt", nullptr, "aperson@dom.ain", "This is a text plain part that is counte", "part-1.eml"},
    {"cpython/msg_35.txt", "here's something interesting", "aperson@dom.ain", "counter to RFC 5322, there's no separati", ""},
    {"cpython/msg_36.txt", "I-D ACTION:draft-ietf-mboned-mix-00.txt", "Internet-Drafts@ietf.org", "Blah blah blah", "part-1.bin|draft-ietf-mboned-mix-00.txt"},
    {"cpython/msg_37.txt", nullptr, nullptr, "", "part-1.bin|part-2.bin|part-3.bin"},
    {"cpython/msg_38.txt", nullptr, nullptr, "Unlike the test test_nested-multiples-wi", ""},
    {"cpython/msg_39.txt", nullptr, nullptr, "It's never too late to have a happy chil", "part-1.bin|part-2.bin|part-3.bin|part-4.bin|part-5.bin|part-6.bin"},
    {"cpython/msg_40.txt", nullptr, nullptr, "----961284236552522269 Content-Type: tex", ""},
    {"cpython/msg_41.txt", "64423", "xxx@example.com", "Blah blah blah", ""},
    {"cpython/msg_42.txt", nullptr, "xxx@example.com", "Stuff", "part-1.eml"},
    {"cpython/msg_43.txt", "Banned file: auto__mail.python.bat in mail from you", nullptr, "BANNED FILENAME ALERT", "part-1.txt|part-2.txt"},
    {"cpython/msg_44.txt", "a simple multipart", "barry@python.org", "a simple kind of mirror", "msg.txt|msg.txt"},
    {"cpython/msg_45.txt", "test", "foo@bar.baz", "This is the signed contents.", "signature.asc"},
    {"cpython/msg_46.txt", "GroupwiseForwardingTest", "sender@example.net", "", "GroupwiseForwardingTest.eml"},
    {"cpython/msg_47.txt", nullptr, "arthur@example.example", "", ""},
    {"cpython/msg_48.txt", "test", "foo@bar.baz", "This is the signed contents.", "signature.asc"},
    {"mikel-mail/attachment_emails/attachment_content_disposition.eml", "testing", "foo@example.com", "This is the first part.", "api.rb"},
    {"mikel-mail/attachment_emails/attachment_content_location.eml", "testing", "foo@example.com", "This is the first part.", "part-1.jpg"},
    {"mikel-mail/attachment_emails/attachment_message_rfc822.eml", "testing", "foo@example.com", "This is the first part.", "ForwardedMessage.eml"},
    {"mikel-mail/attachment_emails/attachment_message_rfc822_inline_image.eml", "test", "test@example.com", "", "img.png|Testmail.eml"},
    {"mikel-mail/attachment_emails/attachment_nonascii_filename.eml", "testing", "foo@example.com", "This is the first part.", "ciële.txt"},
    {"mikel-mail/attachment_emails/attachment_only_email.eml", "this message JUST contains an attachment", "rfinnie@domain.dom", "", "blah.gz"},
    {"mikel-mail/attachment_emails/attachment_pdf.eml", "Another PDF with 🎉 Unicode chars in it 🍿", "xxxx@xxxx.com", "Just attaching another PDF, here, to see", "broken.pdf"},
    {"mikel-mail/attachment_emails/attachment_pdf_lf.eml", "Another PDF with 🎉 Unicode chars in it 🍿", "xxxx@xxxx.com", "Just attaching another PDF, here, to see", "broken.pdf"},
    {"mikel-mail/attachment_emails/attachment_pdf_non_ascii.eml", "Another PDF with 🎉 Unicode chars in it 🍿", "xxxx@xxxx.com", "Just attaching another PDF, here, to see", "broken.pdf"},
    {"mikel-mail/attachment_emails/attachment_pdf_non_ascii_lf.eml", "Another PDF with 🎉 Unicode chars in it 🍿", "xxxx@xxxx.com", "Just attaching another PDF, here, to see", "broken.pdf"},
    {"mikel-mail/attachment_emails/attachment_with_base64_encoded_name.eml", "Fwd: Signed email causes file attachments", "xxxxxxxxx.xxxxxxx@gmail.com", "We should not include these files or vca", "This is a test.pdf"},
    {"mikel-mail/attachment_emails/attachment_with_encoded_name.eml", "Fwd: Signed email causes file attachments", "xxxxxxxxx.xxxxxxx@gmail.com", "We should not include these files or vca", "01 Quien Te Dij�at. Pitbull.mp3"},
    {"mikel-mail/attachment_emails/attachment_with_quoted_filename.eml", "Eelanalüüsi päring", "jeff@37signals.com", "", "Eelanalüüsi päring.jpg"},
    {"mikel-mail/attachment_emails/attachment_with_unquoted_name.eml", "testing", "foo@example.com", "This is the first part.", "This is a test.txt"},
    {"mikel-mail/error_emails/bad_date_header.eml", "You may_be Eligible for Legitimate_Cash from_GovAgencies!", "infoz@reactive-outpost.com", "", ""},
    {"mikel-mail/error_emails/bad_date_header2.eml", "40% OFF holiday patterns and fabric!", "enews@Free-Quilting.com", "", ""},
    {"mikel-mail/error_emails/bad_encoded_subject.eml", "TEST", nullptr, "TEST", ""},
    {"mikel-mail/error_emails/bad_subject.eml", "MySurvey.com:  You have a survey waiting!  91123105", "carol@mysurvey.com", "You have a survey waiting!", ""},
    {"mikel-mail/error_emails/cant_parse_from.eml", "Meet the new MacBook Pro family. Now includes 13-inch.", "News@InsideApple.Apple.com", "From one solid piece of aluminum comes a", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_7-bit.eml", "Discover(R) Card News Online - January 2002", "discovercard_newsflash@discover.qrs1.net", "DISCOVERÆ CARD <http://discover.qrs1.ne", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_empty.eml", "4d8119¡@(¤j¸ÉªwÄÑ±M½æ) ¤j®a»¡­^»y ¨C¤éÅ¥MP3 (2004¦~6¤ë¥÷) ÁcÅé¤¤¤å¥úºÐª© (­^»y±Ð¾Ç)¡@8afb90", "3712f2@msa.hinet.net", "9bbf38a544f990e73cd12f3c56c60e6180edebd3", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_plain.eml", "bookkeeping Get in on IGTS asap.", "baocqccyw@hq.lindsayelec.com", "acidness", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_qp_with_space.eml", "Low or High Blood Pressure? We can help.", "fyouizjnp@swissonline.ch", "If you're in need of a good RX site for", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_spam.eml", nullptr, "shechem@poetrix.com", "middagh  oldusercompare", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_text-html.eml", "Re: We will help you refinance your home.", "abhijit.862153drinnan@datavalet.com", "Hello,", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_with_8bits.eml", "The Original Advantage #e13011", "announcements@provantage.com", "December 04, 2001", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_with_semi_colon.eml", "Attention", "nsukijamq@morozstudio.tk", "Dear Homeowner,", ""},
    {"mikel-mail/error_emails/content_transfer_encoding_x_uuencode.eml", "PGP Comments on RTO West Release of Dec. 14", "lpeters@PACIFIER.COM", "Attached are the comments of the Public", "PGP_Cmts_on_12-14-01_Pkg.doc"},
    {"mikel-mail/error_emails/empty_group_lists.eml", "Western Union Swift Money Transfer", "ceciledwards@sbcglobal.net", "Attention Beneficiary:", ""},
    {"mikel-mail/error_emails/empty_in_reply_to.eml", "illegal copy of our patient education software", "ak@g.com", "", ""},
    {"mikel-mail/error_emails/encoding_madness.eml", "eBay Bid - 2008 Ford Super Duty F-350 DRW King Ranch Crew Cab 4x4 (156) - Stock# XXXX", "no-reply@crm.el-example.org", "Body Text", ""},
    {"mikel-mail/error_emails/header_fields_with_empty_values.eml", "Testmail", "jorn@prikkprikkprikk.no", "Jørn Støylen -- http://www.prikkprikkp", ""},
    {"mikel-mail/error_emails/invalid_subject_characters.eml", "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro", "info@formacaofrenetik.info", "TEST", ""},
    {"mikel-mail/error_emails/missing_body.eml", "REDACTED", "redacted@attglobal.net", "", ""},
    {"mikel-mail/error_emails/missing_content_disposition.eml", "Redacted", "redacted@example.com", "", "part-1.jpg"},
    {"mikel-mail/error_emails/multiple_content_types.eml", "Redacted", "redacted@flashmail.net", "This is a multi-part message in MIME for", ""},
    {"mikel-mail/error_emails/multiple_invalid_content_dispositions.eml", "Redacted", "redacted@flashmail.net", "", ""},
    {"mikel-mail/error_emails/multiple_references_with_one_invalid.eml", "Redacted", "redacted@flashmail.net", "", ""},
    {"mikel-mail/error_emails/must_supply_encoding.eml", "Impress your clients with a business phone���", "info@here2there-travelers-msgs.net", "", ""},
    {"mikel-mail/error_emails/new_line_in_to_header.eml", "[Online Lead] Online Lead #1111111", "l@gcn-example.com", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", ""},
    {"mikel-mail/error_emails/trademark_character_in_subject.eml", "GA.comô has a lead for you", "j@yahoo-example.com", "Body Text - not important", ""},
    {"mikel-mail/error_emails/weird_to_header.eml", "", "anonymous@i.tp.host", "CONTACT:", ""},
    {"mikel-mail/mime_emails/email_with_similar_boundaries.eml", "Xxxxxx", "xxxxxx@xxxxxxxx.xxx", "Test", "LOGO.png"},
    {"mikel-mail/mime_emails/raw_email11.eml", "worse when you use them.", "xxxxx@xxxxx", "XXXXX Xxxxx", ""},
    {"mikel-mail/mime_emails/raw_email12.eml", "testing", "foo@example.com", "This is the first part.", "part-1.jpg"},
    {"mikel-mail/mime_emails/raw_email2.eml", "Fwd: Signed email causes file attachments", "xxxxxxxxx.xxxxxxx@gmail.com", "We should not include these files or vca", "smime.p7s"},
    {"mikel-mail/mime_emails/raw_email4.eml", "Filth", "xxx@xxxx.xxx", "Some text", ""},
    {"mikel-mail/mime_emails/raw_email7.eml", "testing", "foo@example.com", "This is the first part.", "test.rb|test.pdf|smime.p7s"},
    {"mikel-mail/mime_emails/raw_email_encoded_stack_level_too_deep.eml", "Nicolas Fouché has accepted your invitation to Gmail", "gmail-noreply@google.com", "Nicolas Fouché has accepted your invita", ""},
    {"mikel-mail/mime_emails/raw_email_with_binary_encoded.eml", "Testing outlook", "email_test@me.nowhere", "", "2013-08-13_19-08-28-1.jpg"},
    {"mikel-mail/mime_emails/raw_email_with_illegal_boundary.eml", "Testing outlook", "email_test@me.nowhere", "Hello", ""},
    {"mikel-mail/mime_emails/raw_email_with_mimepart_without_content_type.eml", "Warning: could not send message for past 1 day", "MAILER-DAEMON@antivirus.uqam.ca", "****************************************", "part-1.txt|Est-ce toi ?.eml"},
    {"mikel-mail/mime_emails/raw_email_with_multipart_mixed_quoted_boundary.eml", "Testing outlook", "email_test@me.nowhere", "Just attaching another PDF, here, to see", "broken.pdf"},
    {"mikel-mail/mime_emails/raw_email_with_nested_attachment.eml", "Testing attachments", "jamis@37signals.com", "Here is a test of an attachment via emai", "truncated.png|smime.p7s"},
    {"mikel-mail/mime_emails/raw_email_with_quoted_illegal_boundary.eml", "Testing outlook", "email_test@me.nowhere", "Hello", ""},
    {"mikel-mail/mime_emails/sig_only_email.eml", "Re: Testing multipart/signed", "test@test.lindsaar.net", "This is random text, not what has been s", "signature.asc"},
    {"mikel-mail/mime_emails/two_from_in_message.eml", "Sending messages include last little bit", "tester1@test.com", "When sending email:", ""},
    {"mikel-mail/multi_charset/japanese.eml", "まみむめも", "raasdnil@gmail.com", "かきくえこ", ""},
    {"mikel-mail/multi_charset/japanese_attachment.eml", "testing", "raasdnil@gmail.com", "testing", "てすと.txt"},
    {"mikel-mail/multi_charset/japanese_attachment_long_name.eml", "まみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめも", "mikel@test.lindsaar.net", "", "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"},
    {"mikel-mail/multi_charset/japanese_iso_2022.eml", "まみむめも", "raasdnil@gmail.com", "すみません。", ""},
    {"mikel-mail/multi_charset/japanese_shift_jis.eml", "test", "xxxxxxx@docomo.ne.jp", "あいうえお", ""},
    {"mikel-mail/multi_charset/ks_c_5601-1987.eml", "test", "from@example.com", "스티해", ""},
    {"mikel-mail/multipart_report_emails/multi_address_bounce1.eml", "Undelivered Mail Returned to Sender", "MAILER-DAEMON@lvmail01.LL.com", "This is the mail system at host lvmail01", "part-1.txt|Test of bounce email.eml"},
    {"mikel-mail/multipart_report_emails/multi_address_bounce2.eml", "Undelivered Mail Returned to Sender", "MAILER-DAEMON@lvmail01.LL.com", "This is the mail system at host lvmail01", "part-1.txt|Test of bounce email.eml"},
    {"mikel-mail/multipart_report_emails/multipart_report_multiple_status.eml", "Mail System Error - Returned Mail", "Postmaster@ci.com", "", "part-1.txt|part-2.txt|Your Friend F M wants you to join HomeRun.eml"},
    {"mikel-mail/multipart_report_emails/report_422.eml", "Warning: could not send message for past 8 hours", "MAILER-DAEMON@tppppp.com.au", "****************************************", "part-1.txt|part-2.txt"},
    {"mikel-mail/multipart_report_emails/report_530.eml", "Returned mail: see transcript for details", "MAILER-DAEMON@tttttt.com.au", "The original message was received at Mon", "part-1.txt|part-2.txt"},
    {"mikel-mail/plain_emails/basic_email.eml", "Testing 123", "test@lindsaar.net", "Plain email.", ""},
    {"mikel-mail/plain_emails/basic_email_lf.eml", "Testing 123", "test@lindsaar.net", "Plain email.", ""},
    {"mikel-mail/plain_emails/mix_caps_content_type.eml", "undef method parameter bug", "bb@bug.com", "foo bar", ""},
    {"mikel-mail/plain_emails/raw_email.eml", "NOTE: 한국말로 하는 것", "jamis@37signals.com", "대부분의 마찬가지로, 우리는", ""},
    {"mikel-mail/plain_emails/raw_email10.eml", nullptr, "xxx@xxxx.xxx", "Test test. Hi. Waving. m", ""},
    {"mikel-mail/plain_emails/raw_email5.eml", nullptr, "xxx@xxxx.xxx", "Test test. Hi. Waving. m", ""},
    {"mikel-mail/plain_emails/raw_email6.eml", nullptr, "xxx@xxxx.xxx", "Test test. Hi. Waving. m", ""},
    {"mikel-mail/plain_emails/raw_email8.eml", "Fwd: Signed email causes file attachments", "xxxxxxxxx.xxxxxxx@gmail.com", "We should not include these files or vca", "01 Quien Te Dij�at. Pitbull.mp3"},
    {"mikel-mail/plain_emails/raw_email_bad_time.eml", "[0]: XXXXXXX XXXXX XXXXX !", "yusuf75thu@auracom.net", "Filter2: This message has been scanned f", ""},
    {"mikel-mail/plain_emails/raw_email_double_at_in_header.eml", "NOTE: 한국말로 하는 것", "jamis@37signals.com", "대부분의 마찬가지로, 우리는", ""},
    {"mikel-mail/plain_emails/raw_email_incorrect_header.eml", "Stop adware/spyware once and for all.", "xxx@xxx.xxx", "You are infected with:", ""},
    {"mikel-mail/plain_emails/raw_email_multiple_from.eml", "/home/svn/public/minebox revision 214", "tim@powerupdev.com", "<p><b>recordkick</b> 2007-10-22 23:45:23", ""},
    {"mikel-mail/plain_emails/raw_email_quoted_with_0d0a.eml", "testing", "foo@example.com", "A fax has arrived from remote ID ''.", ""},
    {"mikel-mail/plain_emails/raw_email_reply.eml", "Re: Test reply email", "xxxxxxxx@xxx.org", "Message body", ""},
    {"mikel-mail/plain_emails/raw_email_simple.eml", "Testing outlook", "mikel@nowhere.com", "Hello Mikel", ""},
    {"mikel-mail/plain_emails/raw_email_string_in_date_field.eml", "NOTE: 한국말로 하는 것", "mikel@me.com", "대부분의 마찬가지로, 우리는", ""},
    {"mikel-mail/plain_emails/raw_email_trailing_dot.eml", "[skynet-help][60666] How are intermediate files handled in SkyNet?", "noreply@rubyforge.org", "Testing, testing, 123.", ""},
    {"mikel-mail/plain_emails/raw_email_with_at_display_name.eml", "Testing 123", "test@lindsaar.net", "Plain email.", ""},
    {"mikel-mail/plain_emails/raw_email_with_bad_date.eml", "Microsoft Vlsta & Office2007, Just released for 79$ Save 1599.95$ 0ff Retai|", "subventive@vodtravel.com", "hotnewsoft . com", ""},
    {"mikel-mail/plain_emails/raw_email_with_partially_quoted_subject.eml", "Re: Test: \"漢字\" mid \"漢字\" tail", "jamis@37signals.com", "대부분의 마찬가지로, 우리는", ""},
    {"mikel-mail/rfc2822/example01.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example02.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example03.eml", nullptr, "john.q.public@example.com", "Hi everyone.", ""},
    {"mikel-mail/rfc2822/example04.eml", nullptr, "pete@silly.example", "Testing.", ""},
    {"mikel-mail/rfc2822/example05.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example06.eml", "Re: Saying Hello", "mary@example.net", "This is a reply to your hello.", ""},
    {"mikel-mail/rfc2822/example07.eml", "Re: Saying Hello", "jdoe@machine.example", "This is a reply to your reply.", ""},
    {"mikel-mail/rfc2822/example08.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example09.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example10.eml", nullptr, "pete@silly.test", "Testing.", ""},
    {"mikel-mail/rfc2822/example11.eml", nullptr, "john.q.public@example.com", "Hi everyone.", ""},
    {"mikel-mail/rfc2822/example12.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example13.eml", "Saying Hello", "jdoe@machine.example", "This is a message just to say hello.", ""},
    {"mikel-mail/rfc2822/example14.eml", "Re: TEST \tテストテスト", "atsushi@example.com", "Hello", ""},
    {"mikel-mail/rfc6532/utf8_headers.eml", "Säying Hello", "jdöe@mächine.example", "body", ""},
};
// clang-format on

}  // namespace

TEST_CASE("corpus: expected subject, sender, body and attachments") {
  for (const row& r : k_rows) {
    SUBCASE(r.file) {
      auto m = hd::mailparse::parse(slurp(std::string(HD_FIXTURES "/corpus/") + r.file));
      REQUIRE(m.has_value());
      if (r.want_subject == nullptr) {
        CHECK_FALSE(m->subject.has_value());
      } else {
        CHECK(m->subject.value_or("<none>") == r.want_subject);
      }
      if (r.want_from == nullptr) {
        CHECK_FALSE(m->from.has_value());
      } else {
        CHECK(m->from.value_or(hd::address{}).addr == r.want_from);
      }
      CHECK_MESSAGE(m->text.find(r.want_text) != std::string::npos, m->text);
      CHECK(attachment_names(*m) == r.want_attachments);
    }
  }
}

TEST_CASE("corpus: every file parses into valid UTF-8 with LF line ends") {
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(HD_FIXTURES)) {
    std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".eml" && ext != ".txt")) continue;
    ++files;
    CAPTURE(e.path().string());
    auto m = hd::mailparse::parse(slurp(e.path()));
    REQUIRE(m.has_value());
    CHECK(hd::is_valid_utf8(m->text));
    CHECK(m->text.find('\r') == std::string::npos);
    CHECK(hd::is_valid_utf8(m->subject.value_or("")));
    for (const hd::attachment& a : m->attachments) {
      CHECK_FALSE(a.filename.empty());
      CHECK(a.filename.find_first_of("/\\") == std::string::npos);
    }
  }
  CHECK(files >= 152);
}
