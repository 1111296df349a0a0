# SPDX-License-Identifier: BSD-2-Clause
# t/abi/local.mk - fragment of Makefile.am: the build guards the ABI
#: header cleanliness, no C++ runtime, exported
# symbols, C-only linking (shared, static), and the check-abi contract.
T_ABI = t/abi/header_warnings.sh t/abi/no_cxx_runtime.sh t/abi/exported_symbols.sh \
	t/abi/c_link.sh t/abi/check_abi.sh t/abi/abidiff.sh t/abi/symbols_file.sh t/abi/header_facts.sh \
	t/abi/cxx98_callbacks.sh t/abi/stat_layout.sh
TESTS += $(T_ABI)
EXTRA_DIST += $(T_ABI) t/abi/use_all.c t/abi/use_all_cxx.cc t/abi/cxx98_callbacks.cc t/abi/exported-symbols.txt t/abi/event-symbols.txt \
	t/abi/extension-symbols.txt t/abi/header_facts.c t/abi/header-facts.expected t/abi/stat_layout.c
