/* Shared declarations of the native provider. */
#ifndef WW_EXPORTS_H
#define WW_EXPORTS_H

#define WW_EXPORT __attribute__((visibility("default")))

/* Return code when a work buffer cannot be allocated (LAPACK uses negative codes for bad arguments). */
#define WW_ERR_NOMEM (-1000)

/* Revision of this provider's own entry points (reported by query_capability(64) and ww_revision()). */
#define WW_PROVIDER_REVISION 1

#endif
