import { COLOR_SEED, TABLE_SEED } from '../core/segment-ids';
import { MAX_PROBES } from '../core/gpu-hash-table';

/**
 * GLSL ES 3.00 sources. One quad per chunk: the vertex shader places it on screen from a
 * rectangle computed on the CPU in double precision, and hands the fragment shader
 * chunk-local voxel coordinates, which it floors and fetches (nearest neighbour, no filtering,
 * so integer ids survive exactly).
 */

export const QUAD_VS = /* glsl */ `#version 300 es
in vec2 a_corner;
uniform vec4 u_rect;     // clip-space x0, y0, x1, y1 of the chunk's footprint
uniform vec2 u_extent;   // the footprint in chunk-local voxels along (h, v)
out vec2 v_local;
void main() {
  v_local = a_corner * u_extent;
  gl_Position = vec4(mix(u_rect.xy, u_rect.zw, a_corner), 0.0, 1.0);
}`;

const COMMON_FS = /* glsl */ `
precision highp float;
precision highp int;
in vec2 v_local;
out vec4 o_color;
uniform ivec3 u_hAxis;   // unit vectors of the view's axes in texture order (x, y, z)
uniform ivec3 u_vAxis;
uniform ivec3 u_nAxis;
uniform int u_slice;     // chunk-local index along the view's normal
ivec3 voxelAt(vec2 local, ivec3 size) {
  ivec2 i = ivec2(floor(local));
  ivec3 c = u_hAxis * i.x + u_vAxis * i.y + u_nAxis * u_slice;
  return clamp(c, ivec3(0), size - 1);
}`;

/** mix32 / hashId / segmentColorWords of core/segment-ids.ts, bit for bit. */
export const HASH_GLSL = /* glsl */ `
uint mix32(uint x) {
  x ^= x >> 16u; x *= 0x85ebca6bu;
  x ^= x >> 13u; x *= 0xc2b2ae35u;
  x ^= x >> 16u;
  return x;
}
uint hashId(uvec2 id, uint seed) { return mix32(id.x ^ mix32(id.y ^ seed)); }
uint div255(uint x) { return (x + 1u + (x >> 8u)) >> 8u; }
vec3 segmentColor(uvec2 id) {
  uint h = hashId(id, ${COLOR_SEED >>> 0}u);
  uint hue = ((h & 0x3ffu) * 1536u) >> 10u;
  uint s = 150u + ((((h >> 11u) & 127u) * 105u) >> 7u);
  uint v = 190u + ((((h >> 19u) & 63u) * 65u) >> 6u);
  uint region = hue >> 8u;
  uint f = hue & 255u;
  uint p = div255(v * (255u - s));
  uint q = div255(v * (255u - div255(s * f)));
  uint t = div255(v * (255u - div255(s * (255u - f))));
  uvec3 rgb;
  if (region == 0u) rgb = uvec3(v, t, p);
  else if (region == 1u) rgb = uvec3(q, v, p);
  else if (region == 2u) rgb = uvec3(p, v, t);
  else if (region == 3u) rgb = uvec3(p, q, v);
  else if (region == 4u) rgb = uvec3(t, p, v);
  else rgb = uvec3(v, p, q);
  return vec3(rgb) / 255.0;
}`;

export type SamplerKind = 'uint' | 'int' | 'float';

export function imageFragmentShader(kind: SamplerKind): string {
  const sampler = kind === 'uint' ? 'usampler3D' : kind === 'int' ? 'isampler3D' : 'sampler3D';
  return /* glsl */ `#version 300 es
${COMMON_FS}
uniform highp ${sampler} u_data;
uniform float u_min;
uniform float u_max;
uniform float u_gamma;
uniform bool u_invert;
uniform vec3 u_color;
uniform float u_opacity;
void main() {
  float value = float(texelFetch(u_data, voxelAt(v_local, textureSize(u_data, 0)), 0).r);
  float w = u_max - u_min;
  float t = w == 0.0 ? step(u_max, value) : (value - u_min) / w;
  t = clamp(t, 0.0, 1.0);
  if (u_invert) t = 1.0 - t;
  t = pow(t, 1.0 / u_gamma);
  o_color = vec4(u_color * t, 1.0) * u_opacity;
}`;
}

export interface LabelShaderFeatures {
  /** A fragment -> segment mapping is set. */
  map: boolean;
  /** Some segment is selected, hidden or coloured. */
  attrs: boolean;
  outline: boolean;
}

/**
 * The label shader, specialised per feature set: software GPUs (SwiftShader) pay for code in
 * branches that are never taken, so the common case (no mapping, no selection, no outline)
 * compiles to a fetch, a hash and a colour.
 */
export function labelFragmentShader(f: LabelShaderFeatures): string {
  return /* glsl */ `#version 300 es
${f.map ? '#define MAP 1' : ''}
${f.attrs ? '#define ATTRS 1' : ''}
${f.outline ? '#define OUTLINE 1' : ''}
${COMMON_FS}
${HASH_GLSL}
uniform highp usampler3D u_data;   // R8UI/R16UI/R32UI (id = r) or RG32UI (64-bit: lo, hi)
uniform highp usampler2D u_map;    // fragment -> segment hash table (key lo, key hi, seg lo, seg hi)
uniform highp usampler2D u_attrs;  // segment -> (key lo, key hi, flags, rgba8)
uniform float u_opacity;
uniform float u_selectedOpacity;
uniform bool u_showOnlySelected;
uniform uvec2 u_hover;
uniform uint u_mapShift;    // log2 of each table's texture width
uniform uint u_attrsShift;

// Tables are power-of-two sized with power-of-two widths: masks and shifts, no division.
uvec4 lookup(highp usampler2D table, uvec2 key, uint wshift) {
  ivec2 size = textureSize(table, 0);
  uint mask = uint(size.x * size.y) - 1u;
  uint wmask = uint(size.x) - 1u;
  uint slot = hashId(key, ${TABLE_SEED >>> 0}u) & mask;
  for (int p = 0; p < ${MAX_PROBES}; p++) {
    uvec4 e = texelFetch(table, ivec2(int(slot & wmask), int(slot >> wshift)), 0);
    if (e.xy == key) return e;
    if (e.x == 0u && e.y == 0u) break;
    slot = (slot + 1u) & mask;
  }
  return uvec4(0u);
}

uvec2 segmentAt(ivec3 c) {
  uvec2 id = texelFetch(u_data, c, 0).rg;
#ifdef MAP
  if (id.x == 0u && id.y == 0u) return id;
  uvec4 e = lookup(u_map, id, u_mapShift);
  return (e.x == 0u && e.y == 0u) ? id : e.zw;
#else
  return id;
#endif
}

void main() {
  ivec3 size = textureSize(u_data, 0);
  ivec3 c = voxelAt(v_local, size);
  uvec2 seg = segmentAt(c);
  if (seg.x == 0u && seg.y == 0u) discard;
  uint flags = 0u;
  uint rgba = 0u;
#ifdef ATTRS
  uvec4 a = lookup(u_attrs, seg, u_attrsShift);
  flags = a.z;
  rgba = a.w;
#endif
  bool selected = (flags & 1u) != 0u;
  if ((flags & 2u) != 0u) discard;
  if (u_showOnlySelected && !selected) discard;
  vec3 color = (flags & 4u) != 0u
    ? vec3(float(rgba & 255u), float((rgba >> 8u) & 255u), float((rgba >> 16u) & 255u)) / 255.0
    : segmentColor(seg);
  float alpha = selected ? u_selectedOpacity : u_opacity;
#ifdef OUTLINE
  bool edge = segmentAt(clamp(c + u_hAxis, ivec3(0), size - 1)) != seg
    || segmentAt(clamp(c - u_hAxis, ivec3(0), size - 1)) != seg
    || segmentAt(clamp(c + u_vAxis, ivec3(0), size - 1)) != seg
    || segmentAt(clamp(c - u_vAxis, ivec3(0), size - 1)) != seg;
  if (edge) alpha = max(alpha, 0.9);
  else if (selected) alpha *= 0.35;
  else discard;
#endif
  if (seg == u_hover) {
    color = mix(color, vec3(1.0), 0.3);
    alpha = max(alpha, min(1.0, u_opacity + 0.25));
  }
  o_color = vec4(color * alpha, alpha);
}`;
}

/** Marks a chunk's footprint in the stencil buffer (colour writes off) so coarser levels skip it. */
export const STENCIL_FS = /* glsl */ `#version 300 es
precision mediump float;
out vec4 o_color;
void main() { o_color = vec4(0.0); }`;
