#pragma once
namespace mambahw {
// The release version, and the git commit the binary was built from
// ("<12 hex digits>", "-dirty" appended when tracked files were modified,
// or "unknown" outside a git checkout). Refreshed on every build.
extern const char* const kVersion;
extern const char* const kGitCommit;
}  // namespace mambahw
