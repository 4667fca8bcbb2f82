// SystemC include for model code. Debian's libsystemc is built as C++17; the
// model compiles with C++20, so SC_CPLUSPLUS is pinned (see CMakeLists.txt).
#pragma once

#ifndef SC_INCLUDE_DYNAMIC_PROCESSES
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn: the pipelined schedule's unit sequencers
#endif

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
