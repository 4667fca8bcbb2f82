# Runs after gtest_discover_tests' own include file and labels two of the
# discovered tests (ctest scripts know only set_tests_properties here).
set_tests_properties(ConvOutQuantizerRtl.TowardZero ConvOutQuantizerRtl.FlushToZeroWrapFullRange
                     PROPERTIES LABELS long)
