#ifndef PALISADE_CPOSTGRES_SHIM_H
#define PALISADE_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
