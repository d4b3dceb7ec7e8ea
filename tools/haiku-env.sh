# Sourced by haiku-check.sh, symbol-audit.sh, drift-check.sh and driver/haiku/build.sh: the kernel
# add-on compiler flags and Haiku include directories (research notes haiku.md §4.2), in one place.

# haiku_env_check DIR: 0 if DIR holds Haiku's headers/ and build/config_headers/, else prints why.
haiku_env_check()
{
	local dir=$1
	if [ -z "$dir" ]; then
		echo "HAIKU_SRC is not set: haiku-check needs Haiku's headers (HAIKU_SRC=<dir with headers/ and build/config_headers/ of a Haiku checkout>); skipped"
		return 2
	fi
	if [ ! -f "$dir/headers/os/drivers/KernelExport.h" ] \
		|| [ ! -f "$dir/build/config_headers/kernel_debug_config.h" ]; then
		echo "HAIKU_SRC=$dir has no headers/os/drivers/KernelExport.h or build/config_headers/kernel_debug_config.h; skipped"
		return 2
	fi
	return 0
}

# haiku_include_flags HEADERS CONFIG COMPILER_INCLUDE: prints the -isystem list, one per line.
# HEADERS is a Haiku headers/ tree (checkout or /boot/system/develop/headers), CONFIG the
# directory with kernel_debug_config.h, COMPILER_INCLUDE the compiler's own include directory.
haiku_include_flags()
{
	local h=$1 config=$2 compiler=$3 d
	for d in "" os os/kernel os/drivers os/support os/storage posix private/kernel private/net \
		private/system private/kernel/arch/x86 private/system/arch/x86_64; do
		printf '%s\n' "-isystem" "$h${d:+/$d}"
	done
	printf '%s\n' "-isystem" "$config" "-isystem" "$compiler"
}

# Kernel add-on code generation flags (build/jam ArchitectureRules for x86_64 kernel objects;
# -fno-tree-vectorize as Haiku builds its kernel since GCC 13, see Haiku ticket #18593).
HAIKU_KERNEL_FLAGS=(-std=gnu11 -nostdinc -ffreestanding -fno-builtin -finline
	-fno-semantic-interposition -fno-tree-vectorize -fno-strict-aliasing
	-fno-delete-null-pointer-checks -mno-red-zone -fno-omit-frame-pointer -fPIC -D_KERNEL_MODE -O2)

# Cross-compiling from Linux: clang with Haiku as the target.
HAIKU_TARGET_FLAGS=(--target=x86_64-unknown-haiku)

# haiku_cross_cflags HAIKU_SRC: fills the array HAIKU_CFLAGS for clang --target=x86_64-unknown-haiku.
haiku_cross_cflags()
{
	local src=$1 resource
	resource="$(clang -print-resource-dir)/include"
	mapfile -t HAIKU_INCLUDES < <(haiku_include_flags "$src/headers" "$src/build/config_headers" \
		"$resource")
	HAIKU_CFLAGS=("${HAIKU_TARGET_FLAGS[@]}" "${HAIKU_KERNEL_FLAGS[@]}" "${HAIKU_INCLUDES[@]}")
}
