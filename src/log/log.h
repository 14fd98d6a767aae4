/* Logging: one line per event, "component: ID: key=value ...", to stderr (serve runs in
 * the foreground; the service manager keeps the log) or to syslog; as text or as one JSON
 * object per line (log_format, log_target). Never log a password or a body. */
#ifndef LOG_LOG_H
#define LOG_LOG_H
#include <stdbool.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_set_level(enum log_level level);
/* From YUBIN_LOG_LEVEL=debug|info|warn|error, if set. */
void log_init_from_env(void);
bool log_enabled(enum log_level level);
/* json: each line is {"time":...,"level":...,"component":...,"message":...} (the message
 * as JSON string, invalid UTF-8 replaced by U+FFFD); else the text line. */
void log_set_json(bool json);
/* syslog: lines go to syslog(3) (facility mail, ident "yubin", with the pid) instead of
 * stderr; the timestamp is then syslog's. */
void log_set_syslog(bool on);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits(1): for startup failures, never for a peer's bad input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
