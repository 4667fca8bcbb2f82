// GoogleTest main for SystemC tests: libsystemc provides main() calling
// sc_main(); ours runs the tests instead. Run one test per process
// (--gtest_filter), as ctest does: SystemC cannot elaborate twice.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
