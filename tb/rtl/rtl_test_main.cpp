// Test main: runs the tests, then writes Verilator coverage to
// $MAMBAHW_COVERAGE_DIR/coverage_<pid>.dat when that variable is set.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <verilated_cov.h>

#include "rtl_harness.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  if (const char* dir = std::getenv("MAMBAHW_COVERAGE_DIR")) {
    const std::string file = std::string(dir) + "/coverage_" + std::to_string(::getpid()) + ".dat";
    mambahw::rtl_tb::context().coveragep()->write(file.c_str());
  }
  return rc;
}
