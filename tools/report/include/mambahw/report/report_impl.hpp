// Template part of report.hpp.
#pragma once

#include <string>

namespace mambahw::report {

std::string text_row(const Table& t, const std::vector<Cell>* row, int indent);  // nullptr: the headings

template <class Keep>
std::string to_text(const Table& t, int indent, Keep keep) {
  std::string out = text_row(t, nullptr, indent);
  for (const auto& r : t.rows)
    if (keep(r)) out += text_row(t, &r, indent);
  return out;
}

}  // namespace mambahw::report
