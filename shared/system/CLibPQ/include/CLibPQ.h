// PostgreSQL's own C client (libpq), loaded when first used rather than linked: a process that
// never opens a postgres:// URL does not map libpq and the libraries it pulls in (libcrypto,
// GnuTLS, Kerberos, LDAP: about 5 MiB resident). Declarations come from Debian's libpq-dev; the
// functions Pakit calls are defined in libpq_loader.c as trampolines into libpq.so.5.
#ifndef PAKIT_CLIBPQ_H
#define PAKIT_CLIBPQ_H
#include <postgresql/libpq-fe.h>

/// Loads libpq.so.5 once; returns 1 when it and every function Pakit uses are there, else 0
/// with a reason in `pakit_libpq_error()`. Thread-safe.
int pakit_libpq_load(void);
const char *pakit_libpq_error(void);
#endif
