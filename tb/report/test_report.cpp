// The report tree's three renderings, against hand-written expected text.
#include <gtest/gtest.h>

#include <cmath>

#include "mambahw/report/report.hpp"

namespace mambahw::report {
namespace {

Table two_rows() {
  Table t;
  t.columns = {Column{"name", "name", "{}", -6}, Column{"value", "value", "{:.3g}", 7},
               Column{"count", "n", "{}", 3}, Column{"kib", "KiB", "{:.1f}", 5, false, false},
               Column{"notes", "", "{}", 0, false}};
  t.add({std::string("a,b"), 1.0 / 3.0, std::int64_t{7}, 2.0, TextList{"x", "y"}});
  t.add({std::string("q\""), std::nan(""), Cell{}, 0.5, TextList{}});
  return t;
}

TEST(Report, TextTableAlignsByColumn) {
  EXPECT_EQ(to_text(two_rows(), 2),
            "  name     value   n   KiB\n"
            "  a,b      0.333   7   2.0\n"
            "  q\"         nan   -   0.5\n");
}

TEST(Report, CsvQuotesAndSkipsTextOnlyColumns) {
  EXPECT_EQ(to_csv(two_rows()),
            "name,value,count\n"
            "\"a,b\",0.3333333333333333,7\n"
            "\"q\"\"\",nan,\n");
}

TEST(Report, JsonHasEveryJsonColumnAndNullForNan) {
  Node root = Node::object();
  root.add("rows", two_rows());
  root.add("total", Cell{std::int64_t{9}});
  const nlohmann::json j = to_json(root);
  EXPECT_EQ(j.dump(),
            R"({"rows":[{"count":7,"name":"a,b","notes":["x","y"],"value":0.3333333333333333},)"
            R"({"count":null,"name":"q\"","notes":[],"value":null}],"total":9})");
}

TEST(Report, DottedKeysNestAndListsAreArrays) {
  Table t;
  t.columns = {Column{"error.sqnr_db", ""}, Column{"error.count", ""}, Column{"name", ""}};
  t.add({2.5, std::int64_t{4}, std::string("x")});
  Node l = Node::list();
  l.push(Cell{std::int64_t{1}});
  l.push(t);
  EXPECT_EQ(to_json(l).dump(), R"([1,[{"error":{"count":4,"sqnr_db":2.5},"name":"x"}]])");
}

TEST(Report, RowOfTheWrongWidthIsRefused) {
  Table t = two_rows();
  EXPECT_THROW(t.add({Cell{}}), std::logic_error);
  EXPECT_THROW((void)t.column("missing"), std::out_of_range);
}

}  // namespace
}  // namespace mambahw::report
