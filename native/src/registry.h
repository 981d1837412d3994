// Each kernel module registers its JS functions here through a static Registrar,
// so adding a module never means editing addon.cc.
#pragma once
#include <napi.h>
#include <functional>
#include <vector>

namespace tu {

using ModuleInit = std::function<void(Napi::Env, Napi::Object)>;

inline std::vector<ModuleInit>& Modules() {
  static std::vector<ModuleInit> modules;
  return modules;
}

struct Registrar {
  explicit Registrar(ModuleInit init) { Modules().push_back(std::move(init)); }
};

}  // namespace tu
