# SPDX-License-Identifier: GPL-2.0
#
# selfconn: top-level build.
#   make                 module, companion and selftests
#   make KDIR=/path      build the module against a prepared kernel tree
#   make check           both QEMU lanes (distro kernel and debug kernel)
#   make stress          selfconn_stress for 60 s on the debug kernel
#   make check-host      the selftests against the running kernel (root)
#   make matrix          the module (W=1) against Debian's 5.10, 6.1, 6.12 and newest kernels
#   make demo            boot a guest, make a self-connect, cat /proc/selfconn
#   make bench           boot a guest, time ss, /proc/net/tcp and /proc/selfconn (BENCH_ARGS="[--rounds R] N...")
#   make install         the module (updates/, depmod), the companion, its man page
#                        and bash completion (DESTDIR, PREFIX); make uninstall
#   make deb             dist/selfconn-dkms_VERSION_all.deb and dist/selfconn_VERSION_amd64.deb
#                        (debian/, dpkg-buildpackage in .cache/deb), checked by lintian

# The running kernel's build tree; on a host without one (no module support),
# the newest installed Debian linux-headers-*-amd64.
KVER ?= $(shell uname -r)
KDIR ?= $(or $(wildcard /lib/modules/$(KVER)/build),\
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))

# Where the kselftest harness and checkpatch.pl come from: the host's
# linux-source-6.1, extracted once into the machine-wide cache by
# lane/source-tree.sh, when not given.
HOST_SOURCE := /usr/src/linux-source-6.1.tar.xz
KSFT_SRC = $(shell lane/source-tree.sh $(HOST_SOURCE))
KSFT_DIR ?= $(KSFT_SRC)/tools/testing/selftests

# make install: the module into /lib/modules/$(KVER)/updates through
# kbuild's modules_install, then depmod, so that modprobe finds it; the
# companion through user/Makefile. DESTDIR and PREFIX as usual; with
# DESTDIR (a staging tree) depmod is left to whoever installs from it.
# The release KDIR builds for (Debian's include/config/kernel.release holds
# the upstream version, UTS_RELEASE the package's release).
KVER_BUILD = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODULE_DEST = $(DESTDIR)/lib/modules/$(KVER_BUILD)/updates/selfconn.ko

.PHONY: all module user selftests check stress check-host demo bench clean ksft-src checkpatch sparse matrix
.PHONY: install uninstall install-module uninstall-module install-dkms-src deb

# The module's source tree as DKMS, the packages and the lanes take it:
# Kbuild, VERSION, dkms.conf and module/ without what a build made.
VERSION_STR := $(shell cat VERSION)
DKMS_SRC ?= $(DESTDIR)/usr/src/selfconn-$(VERSION_STR)
MODULE_SRC_FILES = module/Kbuild $(filter-out %.mod.c,$(wildcard module/*.c)) $(wildcard module/*.h)

all: module user selftests

module:
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user:
	$(MAKE) -C user

ksft-src:
	@lane/source-tree.sh $(HOST_SOURCE) >/dev/null

selftests: ksft-src
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR)

check:
	lane/check.sh

# The environment may set LANES (default debug) and STRESS_SECONDS (60).
stress:
	LANES="$${LANES:-debug}" LANE_TESTS=selfconn_stress \
		STRESS_SECONDS="$${STRESS_SECONDS:-60}" lane/check.sh

check-host: all
	selftests/run_host.sh

demo:
	lane/demo.sh

bench:
	lane/demo.sh lane/guest-bench

# /proc/selfconn is mode 0666 on purpose: a read-write descriptor is how an
# unprivileged reader queries one port; changing shared state checks
# CAP_NET_ADMIN in the write handler (module/proc.c). checkpatch flags every
# world-writable file, so that one message is ignored. CONST_STRUCT too: it
# asks for every struct ctl_table to be const, but the per-namespace copy of
# the sysctl table is written (.data), and before 6.11 a sysctl handler's
# table and register_net_sysctl()'s are not const (module/compat.h).
MODULE_SOURCES = $(filter-out module/Kbuild,$(MODULE_SRC_FILES))

# The newest kernel's checkpatch.pl (lane/kernel-fetch.sh --source newest:
# that kernel's linux-source, extracted once into the machine-wide cache).
checkpatch:
	eval "$$(lane/kernel-fetch.sh --source newest)" && \
	"$$KERNEL_SOURCE/scripts/checkpatch.pl" --strict --no-tree \
		--ignore EXPORTED_WORLD_WRITABLE,CONST_STRUCT -f $(MODULE_SOURCES)

# Each kernel fetched into the machine-wide cache by lane/kernel-fetch.sh.
matrix:
	lane/module-matrix.sh

# sparse (C=2) and W=1 on every kernel of the matrix.
sparse:
	MATRIX_MAKE_ARGS=C=2 lane/module-matrix.sh

install: install-module
	$(MAKE) -C user install

uninstall: uninstall-module
	$(MAKE) -C user uninstall

# Built with M=module/ so that it lands as updates/selfconn.ko. Unsigned:
# a distribution's headers carry no signing key (DKMS signs with its own).
install-module:
	@test -n "$(KVER_BUILD)" || { echo "no kernel build tree: install linux-headers-amd64 or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module W=1 modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),,depmod $(KVER_BUILD))

install-dkms-src:
	install -d $(DKMS_SRC)/module
	install -m 644 Kbuild VERSION dkms.conf $(DKMS_SRC)/
	install -m 644 $(MODULE_SRC_FILES) $(DKMS_SRC)/module/

uninstall-module:
	rm -f $(MODULE_DEST)
	$(if $(DESTDIR),,depmod $(KVER_BUILD))

# lane/deb.sh: a copy of the tree in .cache/deb, dpkg-buildpackage -us -uc -b
# there, the two .debs into dist/, and lintian, which fails on any error or
# warning.
deb:
	lane/deb.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	$(MAKE) -C bench clean
	$(MAKE) -C selftests clean KSFT_DIR=$(KSFT_DIR)
