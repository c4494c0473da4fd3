/* Allocation that never returns NULL.
 *
 * The servers cannot do anything useful after running out of memory, so every
 * allocation goes through these wrappers, which log and abort on failure; call
 * sites then carry no impossible error branches. */
#ifndef RMQ_BASE_MEM_H
#define RMQ_BASE_MEM_H

#include <stddef.h>

void *rmq_malloc(size_t n);
void *rmq_calloc(size_t count, size_t n);
void *rmq_realloc(void *p, size_t n);
char *rmq_strdup(const char *s);
char *rmq_strndup(const char *s, size_t n);

#endif
