/* Client autoconfiguration and the MTA-STS policy: Thunderbird's autoconfig XML, Microsoft
 * Autodiscover (POX), an Apple configuration profile, and RFC 8461's policy file. All of
 * them describe the services of the config (http_services()): myhostname, the first port
 * of each listen list, SSL/TLS or STARTTLS, and the full address as the user name (yubin
 * accounts log in with their address). Nothing here looks accounts up: the answer for an
 * address of one of mydomains is the same whether or not the account exists, so these
 * pages reveal no account names. */
#include <ctype.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "http/http_autodiscover_req.h"
#include "http/http_request.h"
#include "util/xmalloc.h"

#define XML_TYPE "application/xml; charset=utf-8"

/* The address asked about (?emailaddress=), checked, and its domain; NULL (replied to)
 * when it is malformed or not of one of mydomains. A missing address is "" when
 * optional (the answer then uses placeholders), else an error. */
static char *
asked_address(struct http_request *r, bool optional)
{
	const struct settings *s = r->deps->settings;
	char *a = http_query_param(r, "emailaddress");

	if (a == NULL && optional)
		return xstrdup("");
	if (a == NULL || !http_address_ok(a)) {
		free(a);
		http_reply_error(r, 400, "Bad Request: expected ?emailaddress=user@domain");
		return NULL;
	}
	if (!http_domain_is_ours(s, strrchr(a, '@') + 1)) {
		free(a);
		http_reply_error(r, 404, "Not Found: not a domain of this server");
		return NULL;
	}
	return a;
}

static const char *
domain_of(const struct settings *s, const char *address)
{
	const char *at = strrchr(address, '@');

	if (at != NULL)
		return at + 1;
	return s->mydomains != NULL && s->mydomains[0] != NULL ? s->mydomains[0] : s->myhostname;
}

/* Thunderbird's clientConfig 1.1 (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:
 * ConfigFileFormat). Without an address the user name is the %EMAILADDRESS% placeholder
 * Thunderbird fills in itself. */
void
http_autoconfig(struct http_request *r)
{
	const struct settings *s = r->deps->settings;
	struct http_service sv[6];
	size_t n = http_services(s, sv);
	struct buf x = BUF_INIT;
	char *a = asked_address(r, true);
	const char *domain;

	if (a == NULL)
		return;
	domain = domain_of(s, a);
	buf_appends(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<clientConfig version=\"1.1\">\n  <emailProvider id=\"");
	http_escape(&x, domain);
	buf_appends(&x, "\">\n    <domain>");
	http_escape(&x, domain);
	buf_appends(&x, "</domain>\n    <displayName>");
	http_escape(&x, domain);
	buf_appends(&x, "</displayName>\n    <displayShortName>");
	http_escape(&x, domain);
	buf_appends(&x, "</displayShortName>\n");
	for (size_t i = 0; i < n; i++) {
		bool out = strcmp(sv[i].proto, "smtp") == 0;
		buf_printf(&x, "    <%s type=\"%s\">\n      <hostname>",
			   out ? "outgoingServer" : "incomingServer", sv[i].proto);
		http_escape(&x, s->myhostname);
		buf_printf(&x,
			   "</hostname>\n      <port>%u</port>\n      <socketType>%s</socketType>\n"
			   "      <authentication>password-cleartext</authentication>\n"
			   "      <username>",
			   sv[i].port, sv[i].implicit_tls ? "SSL" : "STARTTLS");
		http_escape(&x, *a != '\0' ? a : "%EMAILADDRESS%");
		buf_printf(&x, "</username>\n    </%s>\n",
			   out ? "outgoingServer" : "incomingServer");
	}
	buf_appends(&x, "  </emailProvider>\n</clientConfig>\n");
	free(a);
	http_reply(r, 200, XML_TYPE, &x);
}

/* Autodiscover POX (MS-OXDSCLI 2.2.4): the Outlook response schema 2006a, one Protocol
 * element per service. Encryption "SSL" is implicit TLS, "TLS" is STARTTLS. */
void
http_autodiscover(struct http_request *r)
{
	const struct settings *s = r->deps->settings;
	struct http_service sv[6];
	size_t n = http_services(s, sv);
	char address[AUTODISCOVER_ADDRESS_MAX + 1];
	struct buf x = BUF_INIT;

	if (r->body == NULL ||
	    autodiscover_request_email(r->body, r->body_len, address, sizeof(address)) < 0 ||
	    !http_address_ok(address)) {
		http_reply_error(r, 400,
				 "Bad Request: expected an Autodiscover request with "
				 "an EMailAddress");
		return;
	}
	if (!http_domain_is_ours(s, strrchr(address, '@') + 1)) {
		http_reply_error(r, 404, "Not Found: not a domain of this server");
		return;
	}
	buf_appends(&x, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			"<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
			"autodiscover/responseschema/2006\">\n"
			"  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/"
			"outlook/responseschema/2006a\">\n"
			"    <Account>\n      <AccountType>email</AccountType>\n"
			"      <Action>settings</Action>\n");
	for (size_t i = 0; i < n; i++) {
		char type[8];
		snprintf(type, sizeof(type), "%s", sv[i].proto);
		for (char *p = type; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		buf_printf(&x, "      <Protocol>\n        <Type>%s</Type>\n        <Server>", type);
		http_escape(&x, s->myhostname);
		buf_printf(&x, "</Server>\n        <Port>%u</Port>\n        <LoginName>",
			   sv[i].port);
		http_escape(&x, address);
		buf_printf(&x,
			   "</LoginName>\n        <DomainRequired>off</DomainRequired>\n"
			   "        <SPA>off</SPA>\n        <Encryption>%s</Encryption>\n"
			   "        <AuthRequired>on</AuthRequired>\n      </Protocol>\n",
			   sv[i].implicit_tls ? "SSL" : "TLS");
	}
	buf_appends(&x, "    </Account>\n  </Response>\n</Autodiscover>\n");
	http_reply(r, 200, XML_TYPE, &x);
}

/* A stable UUID for (what, address), so downloading the profile again replaces the
 * installed one instead of adding a second: SHA-256 shaped as an RFC 9562 version 8
 * UUID. */
static void
stable_uuid(char out[37], const char *what, const char *address)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, what, strlen(what) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, address, strlen(address)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x80);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
}

static void
plist_string(struct buf *x, const char *key, const char *value)
{
	buf_printf(x, "      <key>%s</key>\n      <string>", key);
	http_escape(x, value);
	buf_appends(x, "</string>\n");
}

/* Apple's com.apple.mail.managed payload (Configuration Profile Reference), unsigned:
 * iOS and macOS show it as "not verified" and ask before installing. IMAP is described
 * when offered (a profile holds one incoming server), else POP3. */
void
http_mobileconfig(struct http_request *r)
{
	const struct settings *s = r->deps->settings;
	struct http_service sv[6];
	size_t n = http_services(s, sv);
	const struct http_service *in = NULL, *out = NULL;
	struct buf x = BUF_INIT;
	char uuid[37], uuid2[37], disp[300];
	char *a = asked_address(r, false);

	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sv[i].proto, "smtp") == 0 && out == NULL)
			out = &sv[i];
		else if (strcmp(sv[i].proto, "smtp") != 0 &&
			 (in == NULL ||
			  (strcmp(in->proto, "pop3") == 0 && strcmp(sv[i].proto, "imap") == 0)))
			in = &sv[i];
	}
	if (in == NULL || out == NULL) {
		free(a);
		http_reply_error(r, 404, "Not Found: no mail service to describe");
		return;
	}
	stable_uuid(uuid, "account", a);
	stable_uuid(uuid2, "profile", a);
	buf_appends(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
			"\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
			"<plist version=\"1.0\">\n<dict>\n  <key>PayloadContent</key>\n  <array>\n"
			"    <dict>\n");
	plist_string(&x, "EmailAccountDescription", a);
	plist_string(&x, "EmailAccountType",
		     strcmp(in->proto, "imap") == 0 ? "EmailTypeIMAP" : "EmailTypePOP");
	plist_string(&x, "EmailAddress", a);
	plist_string(&x, "IncomingMailServerAuthentication", "EmailAuthPassword");
	plist_string(&x, "IncomingMailServerHostName", s->myhostname);
	buf_printf(&x,
		   "      <key>IncomingMailServerPortNumber</key>\n      <integer>%u</integer>\n"
		   "      <key>IncomingMailServerUseSSL</key>\n      <%s/>\n",
		   in->port, in->implicit_tls ? "true" : "false");
	plist_string(&x, "IncomingMailServerUsername", a);
	plist_string(&x, "OutgoingMailServerAuthentication", "EmailAuthPassword");
	plist_string(&x, "OutgoingMailServerHostName", s->myhostname);
	buf_printf(&x,
		   "      <key>OutgoingMailServerPortNumber</key>\n      <integer>%u</integer>\n"
		   "      <key>OutgoingMailServerUseSSL</key>\n      <%s/>\n",
		   out->port, out->implicit_tls ? "true" : "false");
	plist_string(&x, "OutgoingMailServerUsername", a);
	buf_appends(&x, "      <key>OutgoingPasswordSameAsIncomingPassword</key>\n"
			"      <true/>\n");
	plist_string(&x, "PayloadDescription", "Email account");
	plist_string(&x, "PayloadDisplayName", a);
	snprintf(disp, sizeof(disp), "%s.yubin.account", s->myhostname);
	plist_string(&x, "PayloadIdentifier", disp);
	plist_string(&x, "PayloadType", "com.apple.mail.managed");
	plist_string(&x, "PayloadUUID", uuid);
	buf_appends(&x, "      <key>PayloadVersion</key>\n      <integer>1</integer>\n"
			"    </dict>\n  </array>\n");
	buf_appends(&x, "  <key>PayloadDisplayName</key>\n  <string>");
	http_escape(&x, a);
	buf_appends(&x, "</string>\n  <key>PayloadIdentifier</key>\n  <string>");
	http_escape(&x, s->myhostname);
	buf_printf(&x,
		   ".yubin.profile</string>\n  <key>PayloadType</key>\n"
		   "  <string>Configuration</string>\n  <key>PayloadUUID</key>\n"
		   "  <string>%s</string>\n  <key>PayloadVersion</key>\n  <integer>1</integer>\n"
		   "</dict>\n</plist>\n",
		   uuid2);
	free(a);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Disposition",
			  "attachment; filename=\"mail.mobileconfig\"");
	http_reply(r, 200, "application/x-apple-aspen-config", &x);
}

/* RFC 8461 3.2: the policy, CRLF line ends; mx is myhostname, the name our MX records
 * point to (the certificate must cover it for mode enforce). */
void
http_mta_sts(struct http_request *r)
{
	const struct settings *s = r->deps->settings;
	struct buf x = BUF_INIT;

	buf_printf(&x, "version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: %u\r\n", s->mta_sts_mode,
		   s->myhostname, s->mta_sts_max_age);
	http_reply(r, 200, "text/plain; charset=utf-8", &x);
}
