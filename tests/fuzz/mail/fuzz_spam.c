/* libFuzzer target: the spam filter's tokenizer and header checks on hostile messages.
 * Tokens are distinct, bounded in number and length, and a smaller scan limit never
 * yields more tokens. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/spam_checks.h"
#include "mail/spam_tokens.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = xmalloc(size + 1);
	struct spam_tokens all, part;

	memcpy(msg, data, size);
	msg[size] = '\0';
	(void)spam_checks_run(msg, size, size, 1796119200);
	spam_tokens_init(&all);
	spam_tokenize(msg, size, size + 1, &all);
	spam_tokens_init(&part);
	spam_tokenize(msg, size, size / 2 + 1, &part);
	if (all.n > SPAM_TOKENS_MAX || part.n > SPAM_TOKENS_MAX)
		abort();
	for (size_t i = 0; i < all.n; i++)
		if (strlen(all.v[i]) == 0 || strlen(all.v[i]) > SPAM_TOKEN_MAX_LEN + 300)
			abort();
	spam_tokens_free(&all);
	spam_tokens_free(&part);
	free(msg);
	return 0;
}
