// Included first by every hearth compute shader: the workgroup size, the flat index of a
// workgroup (dispatches spread more than 65535 rows over y) and a workgroup-wide sum, through
// subgroup operations in the "subgroup" build of a shader (-DHEARTH_SUBGROUP, for devices that
// have them) or through shared memory in the plain build.
#ifdef HEARTH_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

// The smallest maxComputeWorkGroupSize the Vulkan spec allows, so valid on every device.
#define WG 128

uint group_index() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

shared float sum_scratch[WG];

// Every invocation gets the sum of v over the workgroup. Call from uniform control flow.
float workgroup_sum(float v) {
#ifdef HEARTH_SUBGROUP
  v = subgroupAdd(v);
  if (subgroupElect()) sum_scratch[gl_SubgroupID] = v;
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; ++i) total += sum_scratch[i];
#else
  const uint t = gl_LocalInvocationID.x;
  sum_scratch[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) sum_scratch[t] += sum_scratch[t + s];
    barrier();
  }
  const float total = sum_scratch[0];
#endif
  barrier();  // the scratch is reused only after every invocation has read it
  return total;
}
