/*
 * mib.c - counter names and lookup.
 */
#include <stdint.h>
#include <string.h>

#include "engine.h"

static const struct tcpx_mib_desc mib_descs[MIB_MAX] = {
#define TCPX_MIB_DESC(id, g, n) [MIB_##id] = { g, n },
	TCPX_MIB_LIST(TCPX_MIB_DESC)
#undef TCPX_MIB_DESC
};

size_t
tcpx_mib_count(void)
{
	return MIB_MAX;
}

const struct tcpx_mib_desc *
tcpx_mib_desc(size_t i)
{
	return i < MIB_MAX ? &mib_descs[i] : NULL;
}

uint64_t
tcpx_mib_value(const struct tcpx_engine *e, size_t i)
{
	return i < MIB_MAX ? e->mib[i] : UINT64_MAX;
}

uint64_t
tcpx_mib_get(const struct tcpx_engine *e, const char *name)
{
	const char *colon = strchr(name, ':');
	size_t glen = colon != NULL ? (size_t)(colon - name) : 0;
	const char *n = colon != NULL ? colon + 1 : name;

	for (size_t i = 0; i < MIB_MAX; i++) {
		if (strcmp(mib_descs[i].name, n) != 0)
			continue;
		if (colon != NULL && (strlen(mib_descs[i].group) != glen ||
		    strncmp(mib_descs[i].group, name, glen) != 0))
			continue;
		return e->mib[i];
	}
	return UINT64_MAX;
}
