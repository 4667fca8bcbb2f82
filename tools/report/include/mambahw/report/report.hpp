// A report as one typed tree, rendered three ways: text for people, JSON and
// CSV for scripts. A command builds the tree once; every rendering reads the
// same cells, so the printed table, the JSON object and the CSV row of a
// result cannot disagree.
//
//   Node: an ordered object of named children, a list of nodes, a Table, or a Cell
//   Table: columns (JSON/CSV key, text heading, text format and width) and rows of cells
//   Cell: nothing, an integer, a double, text, a flag, or a list of text
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace mambahw::report {

using TextList = std::vector<std::string>;
using Cell = std::variant<std::monostate, std::int64_t, double, std::string, bool, TextList>;

// Where a column appears: in the text table when it has a heading, in JSON
// and CSV unless turned off (a text-only rendering of another column).
struct Column {
  std::string key;      // JSON key and CSV header
  std::string heading;  // text heading ("" = not in the text table)
  std::string format = "{}";  // fmt format of the cell in text (e.g. "{:.4g}")
  int width = 0;        // text width; negative: left-aligned
  bool csv = true;
  bool json = true;
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;

  // Appends a row; its cells must match the columns one to one.
  void add(std::vector<Cell> row);
  std::size_t column(const std::string& key) const;  // std::out_of_range naming it
};

struct Node;
using Object = std::vector<std::pair<std::string, Node>>;
using List = std::vector<Node>;

struct Node {
  std::variant<Cell, Object, Table, List> value;

  Node() = default;
  Node(Cell c) : value(std::move(c)) {}    // NOLINT: a cell is a node
  Node(Table t) : value(std::move(t)) {}   // NOLINT
  static Node object() { Node n; n.value = Object{}; return n; }
  static Node list() { Node n; n.value = List{}; return n; }
  // Appends a child to an object node and returns it.
  Node& add(std::string key, Node child);
  // Appends an element to a list node and returns it.
  Node& push(Node child);
  // The child `key` of an object node (std::out_of_range naming it), and the
  // node as a table or a cell (std::logic_error if it is not one).
  const Node& at(const std::string& key) const;
  const Table& table() const;
  const Cell& cell() const;
};

// +-Inf and NaN are not JSON numbers: they become null. A table is an array
// of row objects; a column key with dots ("int8_error.sqnr_db") nests.
nlohmann::json to_json(const Node& n);
nlohmann::json to_json(const Cell& c);
// The table's csv columns: a header line of keys, then one line per row.
std::string to_csv(const Table& t);
// The text table: headings, then one line per row, each `indent` spaces in;
// only the rows for which `keep(row)` is true.
template <class Keep>
std::string to_text(const Table& t, int indent, Keep keep);
std::string to_text(const Table& t, int indent);
// Every table under `n` as CSV, named by its path of keys and list indices
// joined with '.', e.g. "layers.0.modes".
std::vector<std::pair<std::string, std::string>> csv_tables(const Node& n, const std::string& path = "");
// One cell as text with the column's format.
std::string cell_text(const Cell& c, const std::string& format);

}  // namespace mambahw::report

#include "mambahw/report/report_impl.hpp"
