// The system's libpq (Debian's libpq-dev), PostgreSQL's own C client.
#ifndef PAKIT_CLIBPQ_SHIM_H
#define PAKIT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
