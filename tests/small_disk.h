// A small tmpfs for the full-disk cases of the tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_support.h"

/// A small tmpfs mounted in a fresh folder, for full-disk cases; unmounted when the
/// object goes. Mounting needs root (as CI runs): elsewhere mounted() is false and the
/// case says why and passes.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) {
    std::filesystem::create_directories(dir_.file("disk"));
    mounted_ = std::system(("mount -t tmpfs -o size=" + size + " tmpfs " + path() + " 2>/dev/null").c_str()) == 0;
    if (!mounted_) WARN("skipped: mounting a small tmpfs needs root");
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount " + path() + " 2>/dev/null").c_str());
  }
  bool mounted() const { return mounted_; }
  std::string path() const { return dir_.file("disk"); }
  std::string file(const std::string& name) const { return path() + "/" + name; }
  /// Frees space, as a user would: the same mount, a larger size.
  void grow(const std::string& size) const {
    REQUIRE(std::system(("mount -o remount,size=" + size + " " + path()).c_str()) == 0);
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};
