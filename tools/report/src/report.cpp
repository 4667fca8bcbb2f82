#include "mambahw/report/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace mambahw::report {

void Table::add(std::vector<Cell> row) {
  if (row.size() != columns.size())
    throw std::logic_error("report table row of " + std::to_string(row.size()) + " cells for " +
                           std::to_string(columns.size()) + " columns");
  rows.push_back(std::move(row));
}

std::size_t Table::column(const std::string& key) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].key == key) return i;
  throw std::out_of_range("report table has no column '" + key + "'");
}

Node& Node::add(std::string key, Node child) {
  auto* o = std::get_if<Object>(&value);
  if (!o) throw std::logic_error("report node '" + key + "' added to a node that is not an object");
  o->emplace_back(std::move(key), std::move(child));
  return o->back().second;
}

Node& Node::push(Node child) {
  auto* l = std::get_if<List>(&value);
  if (!l) throw std::logic_error("report element pushed to a node that is not a list");
  l->push_back(std::move(child));
  return l->back();
}

const Node& Node::at(const std::string& key) const {
  if (const auto* o = std::get_if<Object>(&value))
    for (const auto& [k, child] : *o)
      if (k == key) return child;
  throw std::out_of_range("report node has no child '" + key + "'");
}

const Table& Node::table() const {
  if (const auto* t = std::get_if<Table>(&value)) return *t;
  throw std::logic_error("report node is not a table");
}

const Cell& Node::cell() const {
  if (const auto* c = std::get_if<Cell>(&value)) return *c;
  throw std::logic_error("report node is not a cell");
}

nlohmann::json to_json(const Cell& c) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
        else if constexpr (std::is_same_v<T, double>) return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        else return v;
      },
      c);
}

namespace {
// "a.b" -> "a/b" (a JSON pointer below the row; '~' and '/' escaped).
std::string dotted_pointer(const std::string& key) {
  std::string p;
  for (char ch : key) {
    if (ch == '.') p += '/';
    else if (ch == '~') p += "~0";
    else if (ch == '/') p += "~1";
    else p += ch;
  }
  return p;
}
}  // namespace

nlohmann::json to_json(const Node& n) {
  if (const auto* c = std::get_if<Cell>(&n.value)) return to_json(*c);
  if (const auto* o = std::get_if<Object>(&n.value)) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, child] : *o) j[k] = to_json(child);
    return j;
  }
  if (const auto* l = std::get_if<List>(&n.value)) {
    nlohmann::json a = nlohmann::json::array();
    for (const Node& e : *l) a.push_back(to_json(e));
    return a;
  }
  const Table& t = std::get<Table>(n.value);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : t.rows) {
    nlohmann::json row = nlohmann::json::object();
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].json) {
        // Appended rather than "/" + ...: GCC 12's -Wrestrict misfires on operator+(const char*, string&&).
        std::string pointer("/");
        pointer += dotted_pointer(t.columns[i].key);
        row[nlohmann::json::json_pointer(pointer)] = to_json(r[i]);
      }
    rows.push_back(row);
  }
  return rows;
}

std::string cell_text(const Cell& c, const std::string& format) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "-";
        else if constexpr (std::is_same_v<T, bool>) return v ? "yes" : "no";
        else if constexpr (std::is_same_v<T, TextList>) return fmt::format("{}", fmt::join(v, "; "));
        else return fmt::format(fmt::runtime(format), v);
      },
      c);
}

namespace {
// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}
}  // namespace

std::string to_csv(const Table& t) {
  std::string out;
  auto line = [&](auto cell_of) {
    bool first = true;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (!t.columns[i].csv) continue;
      if (!first) out += ',';
      out += csv_field(cell_of(i));
      first = false;
    }
    out += '\n';
  };
  line([&](std::size_t i) { return t.columns[i].key; });
  for (const auto& r : t.rows)
    line([&](std::size_t i) {
      return std::holds_alternative<std::monostate>(r[i]) ? std::string() : cell_text(r[i], "{}");
    });
  return out;
}

std::vector<std::pair<std::string, std::string>> csv_tables(const Node& n, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto child = [&](const std::string& key, const Node& c) {
    auto v = csv_tables(c, path.empty() ? key : path + "." + key);
    out.insert(out.end(), v.begin(), v.end());
  };
  if (const auto* o = std::get_if<Object>(&n.value))
    for (const auto& [k, c] : *o) child(k, c);
  else if (const auto* l = std::get_if<List>(&n.value))
    for (std::size_t i = 0; i < l->size(); ++i) child(std::to_string(i), (*l)[i]);
  else if (const auto* t = std::get_if<Table>(&n.value))
    out.emplace_back(path, to_csv(*t));
  return out;
}

std::string text_row(const Table& t, const std::vector<Cell>* row, int indent) {
  std::string out(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const Column& c = t.columns[i];
    if (c.heading.empty()) continue;
    const std::string s = row ? cell_text((*row)[i], c.format) : c.heading;
    if (!first) out += ' ';
    out += c.width < 0 ? fmt::format("{:<{}}", s, -c.width) : fmt::format("{:>{}}", s, c.width);
    first = false;
  }
  out.erase(out.find_last_not_of(' ') + 1);  // no trailing blanks from an empty last column
  return out + '\n';
}

std::string to_text(const Table& t, int indent) {
  return to_text(t, indent, [](const std::vector<Cell>&) { return true; });
}

}  // namespace mambahw::report
