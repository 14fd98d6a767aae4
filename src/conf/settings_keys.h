/* Internal to src/conf: the table of config keys, and setting / printing one key. */
#ifndef CONF_SETTINGS_KEYS_H
#define CONF_SETTINGS_KEYS_H
#include <stdio.h>

struct settings;
struct settings_key;

/* The key's descriptor, or NULL if name is not a known key. */
const struct settings_key *settings_key_find(const char *name);
const char *settings_key_name(const struct settings_key *k);
/* Parses value and stores it in s, replacing the previous value. 0 ok, -1 with *error_r
 * (static text: what is wrong with the value, without file/line). */
int settings_key_set(struct settings *s, const struct settings_key *k, const char *value,
		     const char **error_r);
/* The key's value in s as the config file would say it (malloc'ed; loads back unchanged). */
char *settings_key_format(const struct settings *s, const struct settings_key *k);
/* Writes "key = value\n" for every key, in table order. */
void settings_keys_print(const struct settings *s, FILE *out);

#endif
