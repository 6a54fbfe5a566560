// The layering in CMakeLists.txt is the truth about who may include whom: each component's DEPS
// name every hearth component its files include and no other, components only depend on those
// declared above them (so there are no cycles), and every folder of src/ is a component. A
// wrong-way include fails here with the file and line, instead of growing a hidden cycle.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Component {
  std::string name;  // "engine"; the program's folder name for a front end ("cli")
  std::string dir;   // "src/engine"
  std::vector<std::string> deps;  // hearth components named in DEPS, without "hearth_"
  int order = 0;     // position in CMakeLists.txt
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// hearth_component(NAME DIR [SOURCES ...] DEPS ...) and hearth_program(NAME DIR DEPS ...) calls.
std::vector<Component> parse_components(const std::string& cmake) {
  std::vector<Component> out;
  const std::regex call(R"((hearth_component|hearth_program)\(([^)]*)\))");
  for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), call); it != std::sregex_iterator(); ++it) {
    std::istringstream words((*it)[2].str());
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 2 || w[0].find('$') != std::string::npos) continue;  // the function definitions
    Component c;
    c.dir = w[1];
    c.name = fs::path(c.dir).filename().string();
    c.order = static_cast<int>(out.size());
    bool in_deps = false;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "DEPS" || w[i] == "SOURCES") {
        in_deps = w[i] == "DEPS";
        continue;
      }
      if (in_deps && w[i].rfind("hearth_", 0) == 0) c.deps.push_back(w[i].substr(7));
    }
    out.push_back(c);
  }
  return out;
}

struct Include {
  std::string component;
  std::string where;  // file:line
};

std::vector<Include> component_includes(const fs::path& dir, const std::set<std::string>& components) {
  std::vector<Include> out;
  const std::regex inc(R"(^\s*#\s*include\s+"([a-z_0-9]+)/)");
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".h" && ext != ".cpp" && ext != ".c")) continue;
    std::ifstream in(e.path());
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      std::smatch m;
      if (std::regex_search(line, m, inc) && components.count(m[1].str()))
        out.push_back({m[1].str(), e.path().filename().string() + ":" + std::to_string(line_no)});
    }
  }
  return out;
}

class Layering : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = HEARTH_SOURCE_DIR;
    comps_ = parse_components(read(root_ / "CMakeLists.txt"));
    ASSERT_GE(comps_.size(), 10u) << "could not read the components from CMakeLists.txt";
    for (const auto& c : comps_) names_.insert(c.name);
  }
  const Component* find(const std::string& name) const {
    for (const auto& c : comps_)
      if (c.name == name) return &c;
    return nullptr;
  }
  fs::path root_;
  std::vector<Component> comps_;
  std::set<std::string> names_;
};

TEST_F(Layering, EveryIncludeIsADeclaredDependency) {
  for (const auto& c : comps_) {
    const std::set<std::string> allowed(c.deps.begin(), c.deps.end());
    for (const auto& inc : component_includes(root_ / c.dir, names_))
      if (inc.component != c.name && !allowed.count(inc.component))
        ADD_FAILURE() << c.dir << "/" << inc.where << " includes " << inc.component << "/, which the DEPS of "
                      << c.name << " in CMakeLists.txt do not name";
  }
}

TEST_F(Layering, EveryDeclaredDependencyIsUsed) {
  for (const auto& c : comps_) {
    std::set<std::string> used;
    for (const auto& inc : component_includes(root_ / c.dir, names_)) used.insert(inc.component);
    for (const auto& d : c.deps)
      if (!used.count(d)) ADD_FAILURE() << c.name << " lists hearth_" << d << " in its DEPS but includes nothing from it";
  }
}

TEST_F(Layering, DependenciesPointUpTheFileSoThereAreNoCycles) {
  for (const auto& c : comps_)
    for (const auto& d : c.deps) {
      const Component* dep = find(d);
      if (!dep) {
        ADD_FAILURE() << c.name << " depends on hearth_" << d << ", which is not a component";
        continue;
      }
      EXPECT_LT(dep->order, c.order) << c.name << " depends on " << d
                                     << ", declared after it in CMakeLists.txt (a layer may only use the ones above)";
    }
}

TEST_F(Layering, EveryFolderOfSrcIsAComponent) {
  for (const auto& e : fs::directory_iterator(root_ / "src"))
    if (e.is_directory())
      EXPECT_TRUE(names_.count(e.path().filename().string()))
          << e.path().filename() << " under src/ is not declared with hearth_component in CMakeLists.txt";
}

// The GPU backend sits above the tensor types it computes on and below the model that will
// offload to it. Only its vulkan.h includes the Vulkan headers (without prototypes: the loader
// is opened at run time), and nothing links libvulkan, so the one binary runs without Vulkan.
TEST_F(Layering, GpuSitsBetweenTensorAndModelAndAloneSeesVulkan) {
  const Component* gpu = find("gpu");
  const Component* tensor = find("tensor");
  const Component* model = find("model");
  ASSERT_TRUE(gpu && tensor && model);
  EXPECT_GT(gpu->order, tensor->order);
  EXPECT_LT(gpu->order, model->order);
  for (const auto& d : gpu->deps) EXPECT_TRUE(d == "core" || d == "tensor") << "gpu depends on " << d;
  const std::regex vk_include(R"(^\s*#\s*include\s+[<"]vulkan/)");
  for (const auto& c : comps_)
    for (const auto& e : fs::directory_iterator(root_ / c.dir)) {
      if (!e.is_regular_file() || (c.name == "gpu" && e.path().filename() == "vulkan.h")) continue;
      std::ifstream in(e.path());
      for (std::string line; std::getline(in, line);)
        if (std::regex_search(line, vk_include))
          ADD_FAILURE() << c.dir << "/" << e.path().filename().string() << " includes a Vulkan header; use gpu/vulkan.h";
    }
  const std::string cmake = read(root_ / "CMakeLists.txt");
  EXPECT_EQ(cmake.find("Vulkan::"), std::string::npos) << "link no Vulkan library: the loader is opened at run time";
  EXPECT_EQ(cmake.find("-lvulkan"), std::string::npos) << "link no Vulkan library: the loader is opened at run time";
}

// The checker itself: a wrong-way include in a scratch tree is caught.
TEST(LayeringChecker, FindsAnUndeclaredInclude) {
  const fs::path dir = fs::temp_directory_path() / "hearth-layering-check";
  fs::remove_all(dir);
  fs::create_directories(dir / "src" / "low");
  std::ofstream(dir / "src" / "low" / "a.cpp") << "#include \"low/a.h\"\n#include <vector>\n #include \"high/b.h\"\n";
  auto incs = component_includes(dir / "src" / "low", {"low", "high"});
  fs::remove_all(dir);
  ASSERT_EQ(incs.size(), 2u);
  EXPECT_EQ(incs[1].component, "high");
  EXPECT_EQ(incs[1].where, "a.cpp:3");
  auto comps = parse_components("hearth_component(low src/low DEPS hearth_core X::Y)\n"
                                "hearth_component(web src/web SOURCES ${GEN} DEPS)\n"
                                "hearth_program(tool src/cli DEPS hearth_low\n   hearth_web)\n");
  ASSERT_EQ(comps.size(), 3u);
  EXPECT_EQ(comps[0].deps, std::vector<std::string>{"core"});
  EXPECT_TRUE(comps[1].deps.empty());
  EXPECT_EQ(comps[2].name, "cli");
  EXPECT_EQ(comps[2].deps, (std::vector<std::string>{"low", "web"}));
}

}  // namespace
