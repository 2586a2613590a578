// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
#define EA_MAPS_DEFINE
#include "maps.bpf.h"
#include "path.bpf.h" /* defines walk_scratch too */
#include "stash.bpf.h" /* and args_stash */

char LICENSE[] SEC("license") = "GPL";
