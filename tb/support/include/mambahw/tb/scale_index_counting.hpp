// A second, independent implementation of the Quamba2 scale-index lookup,
// for tests of the golden one (golden/include/mambahw/golden/scale_table.hpp).
#pragma once

#include "mambahw/golden/scale_table.hpp"

namespace mambahw::tb {

// The Triton chunk-scan's counting form: hg = #{k : h >= HR[g][k]},
// dg = #{k : p >= DR[g][hg][k]}. Equal to the loop for well-formed tables;
// kept as an independent second implementation for tests.
ScaleIndex lookup_scale_index_counting(const Quamba2ScaleTable& t, int channel);

}  // namespace mambahw::tb
