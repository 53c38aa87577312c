/*
 * types.c — element types, their sizes, names and MPI mappings, and column
 * views.  The table of types is the one place that lists them.
 */
#include "internal.h"

#include <string.h>

static const struct type_info {
    const char *name;
    size_t size;
    int integer, is_signed, is_float;
} types[] = {
    [COHORT_INT8] = {"int8", 1, 1, 1, 0},     [COHORT_INT16] = {"int16", 2, 1, 1, 0},
    [COHORT_INT32] = {"int32", 4, 1, 1, 0},   [COHORT_INT64] = {"int64", 8, 1, 1, 0},
    [COHORT_UINT8] = {"uint8", 1, 1, 0, 0},   [COHORT_UINT16] = {"uint16", 2, 1, 0, 0},
    [COHORT_UINT32] = {"uint32", 4, 1, 0, 0}, [COHORT_UINT64] = {"uint64", 8, 1, 0, 0},
    [COHORT_FLOAT] = {"float", 4, 0, 1, 1},   [COHORT_DOUBLE] = {"double", 8, 0, 1, 1},
    [COHORT_BYTES] = {"bytes", 0, 0, 0, 0},
};

static const struct type_info *info(cohort_type t)
{
    return t >= COHORT_INT8 && t <= COHORT_BYTES ? &types[t] : NULL;
}

size_t cohort_type_size(cohort_type t) { return info(t) ? info(t)->size : 0; }
const char *cohort_type_name(cohort_type t) { return info(t) ? info(t)->name : NULL; }
int cohort_type_is_integer(cohort_type t) { return info(t) ? info(t)->integer : 0; }
int cohort_type_is_signed(cohort_type t) { return info(t) ? info(t)->is_signed : 0; }
int cohort_type_is_float(cohort_type t) { return info(t) ? info(t)->is_float : 0; }

int cohort_type_parse(const char *name, cohort_type *type)
{
    if (name == NULL || type == NULL)
        return COHORT_ERR_ARG;
    for (int t = COHORT_INT8; t <= COHORT_BYTES; t++)
        if (strcmp(name, types[t].name) == 0) {
            *type = (cohort_type)t;
            return COHORT_OK;
        }
    if (strcmp(name, "float32") == 0) {
        *type = COHORT_FLOAT;
        return COHORT_OK;
    }
    if (strcmp(name, "float64") == 0) {
        *type = COHORT_DOUBLE;
        return COHORT_OK;
    }
    return COHORT_ERR_TYPE;
}

MPI_Datatype cohort_type_mpi(cohort_type t)
{
    switch (t) {
    case COHORT_INT8: return MPI_INT8_T;
    case COHORT_INT16: return MPI_INT16_T;
    case COHORT_INT32: return MPI_INT32_T;
    case COHORT_INT64: return MPI_INT64_T;
    case COHORT_UINT8: return MPI_UINT8_T;
    case COHORT_UINT16: return MPI_UINT16_T;
    case COHORT_UINT32: return MPI_UINT32_T;
    case COHORT_UINT64: return MPI_UINT64_T;
    case COHORT_FLOAT: return MPI_FLOAT;
    case COHORT_DOUBLE: return MPI_DOUBLE;
    case COHORT_BYTES: return MPI_BYTE;
    }
    return MPI_DATATYPE_NULL;
}

cohort_column cohort_column_make(const char *name, cohort_type type, int64_t count, void *data)
{
    cohort_column c = {name, type, cohort_type_size(type), count, data};
    return c;
}

cohort_column cohort_column_make_bytes(const char *name, size_t width, int64_t count, void *data)
{
    cohort_column c = {name, COHORT_BYTES, width, count, data};
    return c;
}
