// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
#define EA_MAPS_DEFINE
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";
