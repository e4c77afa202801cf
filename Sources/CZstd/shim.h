#ifndef AIRGAP_CZSTD_SHIM_H
#define AIRGAP_CZSTD_SHIM_H
#include <zstd.h>
#endif
