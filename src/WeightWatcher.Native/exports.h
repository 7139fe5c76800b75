/* Shared declarations of the native provider. */
#ifndef WW_EXPORTS_H
#define WW_EXPORTS_H

#define WW_EXPORT __attribute__((visibility("default")))

/* Return code when a work buffer cannot be allocated (LAPACK uses negative codes for bad arguments). */
#define WW_ERR_NOMEM (-1000)

/* Return code of the spectral entry points when the input holds NaN or an infinity. */
#define WW_ERR_NONFINITE (-1001)

/* Revision of this provider's own entry points (reported by query_capability(64) and ww_revision()).
   2: the spectral entry points take a const double matrix in both precisions and return doubles. */
#define WW_PROVIDER_REVISION 2

#endif
