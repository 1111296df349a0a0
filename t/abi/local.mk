# t/abi/local.mk - fragment of Makefile.am: the build guards the ABI
# (STYLE.md §2 item 12): header cleanliness, no C++ runtime, exported
# symbols, C-only linking (shared, static), and the check-abi contract.
T_ABI = t/abi/header_warnings.sh t/abi/no_cxx_runtime.sh t/abi/exported_symbols.sh \
	t/abi/c_link.sh t/abi/check_abi.sh
TESTS += $(T_ABI)
EXTRA_DIST += $(T_ABI) t/abi/use_all.c t/abi/exported-symbols.txt t/abi/event-symbols.txt
