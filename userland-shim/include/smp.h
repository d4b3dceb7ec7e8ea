/* Shim: Haiku's private/kernel/smp.h, which util/Random.h includes. The shim models one CPU per
 * running thread and offers nothing of Haiku's SMP calls; a driver using one fails to link. */
#ifndef SHIM_SMP_H
#define SHIM_SMP_H

#include <KernelExport.h>

#endif
