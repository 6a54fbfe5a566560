// Discovery, device choice, buffers and the embedded shaders.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "gpu/buffer.h"
#include "gpu/shaders.h"
#include "gpu_fixture.h"

namespace {
using namespace hearth;
using hearth::test::GpuTest;

TEST(GpuDiscovery, MissingLoaderIsAMessageNotAnError) {
  const gpu::Discovery d = gpu::discover({"/nonexistent/libvulkan.so.1"});
  EXPECT_FALSE(d.available);
  EXPECT_TRUE(d.devices.empty());
  EXPECT_NE(d.message.find("/nonexistent/libvulkan.so.1"), std::string::npos) << d.message;
  EXPECT_EQ(gpu::discovery_json(d)["available"], false);
}

TEST(GpuDiscovery, ContextWithoutLoaderThrowsNotFound) {
  try {
    gpu::Context ctx({{"/nonexistent/libvulkan.so.1"}, -1});
    FAIL() << "expected hearth::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found) << e.what();
  }
}

TEST(GpuDiscovery, PreferredDeviceIsAGpuBeforeACpuDriver) {
  std::vector<gpu::DeviceInfo> ds(3);
  ds[0].type = gpu::DeviceType::cpu;
  ds[1].type = gpu::DeviceType::integrated;
  ds[2].type = gpu::DeviceType::discrete;
  for (int i = 0; i < 3; ++i) ds[i].index = i;
  EXPECT_EQ(gpu::preferred_device(ds), 2);
  ds[2].usable = false;
  EXPECT_EQ(gpu::preferred_device(ds), 1);
  ds.resize(1);
  EXPECT_EQ(gpu::preferred_device(ds), 0);
  ds[0].usable = false;
  EXPECT_EQ(gpu::preferred_device(ds), -1);
}

TEST(GpuShaders, EveryShaderIsEmbeddedPlainAndWithSubgroups) {
  int plain = 0, subgroup = 0;
  for (const auto& s : gpu::embedded_shaders()) {
    ASSERT_GE(s.spirv.size(), 5u) << s.name;
    EXPECT_EQ(s.spirv[0], 0x07230203u) << s.name << ": not SPIR-V";
    (s.subgroup ? subgroup : plain)++;
  }
  EXPECT_GE(plain, 3);
  EXPECT_EQ(plain, subgroup);
  EXPECT_NO_THROW(gpu::shader_spirv("matmul_f16", true));
  EXPECT_THROW(gpu::shader_spirv("no_such_shader", false), Error);
}

TEST_F(GpuTest, EnumerationFindsTheDevice) {
  const gpu::Discovery d = gpu::discover(test::test_loader());
  ASSERT_TRUE(d.available) << d.message;
  ASSERT_FALSE(d.devices.empty());
  for (size_t i = 0; i < d.devices.size(); ++i) {
    const auto& dev = d.devices[i];
    EXPECT_EQ(dev.index, static_cast<int>(i));
    EXPECT_FALSE(dev.name.empty());
    EXPECT_GT(dev.device_local_bytes, 0u) << dev.name;
    EXPECT_GT(dev.max_storage_buffer_range, 0u) << dev.name;
    if (dev.usable) {
      EXPECT_GT(dev.subgroup_size, 0u) << dev.name;
    }
    EXPECT_GE(dev.max_subgroup_size, dev.subgroup_size) << dev.name;
    if (dev.name.find("llvmpipe") != std::string::npos) {
      EXPECT_EQ(dev.type, gpu::DeviceType::cpu);
      EXPECT_TRUE(dev.features.subgroup_arithmetic);
    }
  }
  const json j = gpu::discovery_json(d);
  EXPECT_EQ(j["devices"].size(), d.devices.size());
  EXPECT_TRUE(j["devices"][0]["features"].contains("cooperative_matrix"));
  EXPECT_EQ(ctx().info().index, gpu::preferred_device(d.devices));
}

TEST_F(GpuTest, DeviceIndexOutOfRangeIsAClearError) {
  try {
    gpu::Context bad({test::test_loader(), 1000});
    FAIL() << "expected hearth::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("device 1000 does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(ctx().info().name), std::string::npos) << e.what();
  }
}

// Both transfer paths: mapped memory where the device has it, and the staging copy discrete GPUs
// need (forced here), with offsets.
TEST_F(GpuTest, BufferRoundTripsMappedAndStaged) {
  for (bool map : {true, false}) {
    SCOPED_TRACE(map ? "mapped" : "staged");
    gpu::Buffer b(ctx(), 1001, {.map_if_possible = map});
    if (!map) {
      EXPECT_FALSE(b.mapped());
    }
    std::vector<uint8_t> in(1001), out(1001, 0);
    std::iota(in.begin(), in.end(), uint8_t{7});
    b.upload(in.data(), in.size());
    b.upload(in.data(), 10, 991);  // overwrite the tail
    std::memcpy(&in[991], in.data(), 10);
    b.download(out.data(), out.size());
    EXPECT_EQ(in, out);
    uint8_t part[5] = {};
    b.download(part, 5, 3);
    EXPECT_EQ(0, std::memcmp(part, &in[3], 5));
    EXPECT_THROW(b.upload(in.data(), 10, 995), Error);
    EXPECT_THROW(b.download(out.data(), 1002), Error);
  }
  EXPECT_THROW(gpu::Buffer(ctx(), 0), Error);
}

TEST_F(GpuTest, BuffersMoveAndReleaseOnce) {
  std::vector<gpu::Buffer> bufs;
  for (int i = 0; i < 4; ++i) bufs.emplace_back(ctx(), 64 * (i + 1));  // reallocation moves them
  gpu::Buffer moved = std::move(bufs[0]);
  EXPECT_EQ(moved.size(), 64u);
  EXPECT_EQ(bufs[0].handle(), VK_NULL_HANDLE);
  bufs[1] = std::move(moved);
  EXPECT_EQ(bufs[1].size(), 64u);
}

}  // namespace
