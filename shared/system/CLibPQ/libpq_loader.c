// Trampolines for the libpq functions Pakit calls, resolved with dlopen/dlsym on first use
// (see include/CLibPQ.h). Only PQconnectdbParams can be reached before loading: every other
// function takes a connection or result, which only exists once libpq is loaded.
#include "CLibPQ.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define PAKIT_LIBPQ_FUNCTIONS(X) \
    X(PQconnectdbParams) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQreset) X(PQtransactionStatus) \
    X(PQclear) X(PQexec) X(PQexecPrepared) X(PQprepare) X(PQexecParams) X(PQresultStatus) X(PQresultErrorField) \
    X(PQresultErrorMessage) X(PQntuples) X(PQnfields) X(PQfname) X(PQftype) X(PQgetisnull) X(PQgetvalue) \
    X(PQgetlength) X(PQsetNoticeProcessor) X(PQescapeIdentifier) X(PQfreemem) X(PQsocket) X(PQconsumeInput) \
    X(PQnotifies)

#define PAKIT_DECLARE(name) static __typeof__(&name) pakit_##name;
PAKIT_LIBPQ_FUNCTIONS(PAKIT_DECLARE)

static pthread_once_t pakit_libpq_once = PTHREAD_ONCE_INIT;
static int pakit_libpq_loaded = 0;
static char pakit_libpq_reason[512] = "libpq was not loaded";

static void pakit_libpq_open(void) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(pakit_libpq_reason, sizeof pakit_libpq_reason, "cannot load libpq.so.5 (Debian: libpq5): %s", dlerror());
        return;
    }
#define PAKIT_RESOLVE(name)                                                                          \
    pakit_##name = (__typeof__(pakit_##name))dlsym(library, #name);                                  \
    if (pakit_##name == NULL) {                                                                       \
        snprintf(pakit_libpq_reason, sizeof pakit_libpq_reason, "libpq.so.5 has no %s", #name);     \
        return;                                                                                       \
    }
    PAKIT_LIBPQ_FUNCTIONS(PAKIT_RESOLVE)
    pakit_libpq_loaded = 1;
}

int pakit_libpq_load(void) {
    pthread_once(&pakit_libpq_once, pakit_libpq_open);
    return pakit_libpq_loaded;
}

const char *pakit_libpq_error(void) { return pakit_libpq_reason; }

PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname) {
    if (!pakit_libpq_load()) return NULL;
    return pakit_PQconnectdbParams(keywords, values, expand_dbname);
}
ConnStatusType PQstatus(const PGconn *conn) { return pakit_PQstatus(conn); }
char *PQerrorMessage(const PGconn *conn) { return pakit_PQerrorMessage(conn); }
void PQfinish(PGconn *conn) { pakit_PQfinish(conn); }
void PQreset(PGconn *conn) { pakit_PQreset(conn); }
PGTransactionStatusType PQtransactionStatus(const PGconn *conn) { return pakit_PQtransactionStatus(conn); }
void PQclear(PGresult *res) { pakit_PQclear(res); }
PGresult *PQexec(PGconn *conn, const char *query) { return pakit_PQexec(conn, query); }
PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
                         const int *paramLengths, const int *paramFormats, int resultFormat) {
    return pakit_PQexecPrepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat);
}
PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes) {
    return pakit_PQprepare(conn, stmtName, query, nParams, paramTypes);
}
PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
                       const int *paramLengths, const int *paramFormats, int resultFormat) {
    return pakit_PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat);
}
ExecStatusType PQresultStatus(const PGresult *res) { return pakit_PQresultStatus(res); }
char *PQresultErrorField(const PGresult *res, int fieldcode) { return pakit_PQresultErrorField(res, fieldcode); }
char *PQresultErrorMessage(const PGresult *res) { return pakit_PQresultErrorMessage(res); }
int PQntuples(const PGresult *res) { return pakit_PQntuples(res); }
int PQnfields(const PGresult *res) { return pakit_PQnfields(res); }
char *PQfname(const PGresult *res, int field_num) { return pakit_PQfname(res, field_num); }
Oid PQftype(const PGresult *res, int field_num) { return pakit_PQftype(res, field_num); }
int PQgetisnull(const PGresult *res, int tup_num, int field_num) { return pakit_PQgetisnull(res, tup_num, field_num); }
char *PQgetvalue(const PGresult *res, int tup_num, int field_num) { return pakit_PQgetvalue(res, tup_num, field_num); }
int PQgetlength(const PGresult *res, int tup_num, int field_num) { return pakit_PQgetlength(res, tup_num, field_num); }
PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg) { return pakit_PQsetNoticeProcessor(conn, proc, arg); }
char *PQescapeIdentifier(PGconn *conn, const char *str, size_t len) { return pakit_PQescapeIdentifier(conn, str, len); }
void PQfreemem(void *ptr) { pakit_PQfreemem(ptr); }
int PQsocket(const PGconn *conn) { return pakit_PQsocket(conn); }
int PQconsumeInput(PGconn *conn) { return pakit_PQconsumeInput(conn); }
PGnotify *PQnotifies(PGconn *conn) { return pakit_PQnotifies(conn); }
