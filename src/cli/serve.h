/* `yubin serve`: wires the listeners, the databases, the store, the queue and the
 * protocol servers onto one event loop, and handles signals. */
#ifndef CLI_SERVE_H
#define CLI_SERVE_H

struct settings;

int serve(struct settings *settings, int argc, char **argv);

#endif
