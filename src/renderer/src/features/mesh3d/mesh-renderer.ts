import type { SegmentMesh } from '@shared/api/proofreading';
import { Program } from '../viewer/gl/program';
import type { Mat4, V3 } from './mat4';

const MESH_VS = `#version 300 es
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
uniform mat4 u_viewProjection;
out vec3 v_normal;
void main() {
  v_normal = a_normal;
  gl_Position = u_viewProjection * vec4(a_position, 1.0);
}`;

const MESH_FS = `#version 300 es
precision highp float;
in vec3 v_normal;
uniform vec3 u_color;
uniform vec3 u_light;
out vec4 o_color;
void main() {
  // Headlight: the light comes from the camera; both faces lit so open cuts still read.
  float d = abs(dot(normalize(v_normal), u_light));
  o_color = vec4(u_color * (0.3 + 0.7 * d), 1.0);
}`;

const LINE_VS = `#version 300 es
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_color;
uniform mat4 u_viewProjection;
out vec3 v_color;
void main() {
  v_color = a_color;
  gl_Position = u_viewProjection * vec4(a_position, 1.0);
}`;

const LINE_FS = `#version 300 es
precision highp float;
in vec3 v_color;
out vec4 o_color;
void main() { o_color = vec4(v_color, 1.0); }`;

interface GpuMesh {
  vao: WebGLVertexArrayObject;
  buffers: WebGLBuffer[];
  count: number;
}

export interface DrawnMesh {
  mesh: SegmentMesh;
  color: [number, number, number];
}

/** Line segments with a colour per vertex (volume box, slice planes). */
export interface Lines {
  positions: number[];
  colors: number[];
}

/** Draws segment meshes (positions in nm) with a headlight, plus context lines, in WebGL2. */
export class MeshRenderer {
  private readonly meshProgram: Program;
  private readonly lineProgram: Program;
  private readonly gpu = new WeakMap<SegmentMesh, GpuMesh>();
  private readonly live = new Set<GpuMesh>();
  private readonly lineVao: WebGLVertexArrayObject;
  private readonly lineBuffers: [WebGLBuffer, WebGLBuffer];
  triangles = 0;

  constructor(readonly gl: WebGL2RenderingContext) {
    this.meshProgram = new Program(gl, MESH_VS, MESH_FS, 'mesh');
    this.lineProgram = new Program(gl, LINE_VS, LINE_FS, 'mesh lines');
    this.lineVao = gl.createVertexArray()!;
    this.lineBuffers = [gl.createBuffer()!, gl.createBuffer()!];
  }

  draw(meshes: DrawnMesh[], viewProjection: Mat4, light: V3, lines: Lines, width: number, height: number): void {
    const gl = this.gl;
    gl.viewport(0, 0, width, height);
    gl.clearColor(0.043, 0.047, 0.055, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    this.meshProgram.use();
    gl.uniformMatrix4fv(this.meshProgram.loc('u_viewProjection'), false, viewProjection);
    gl.uniform3fv(this.meshProgram.loc('u_light'), light);
    const used = new Set<GpuMesh>();
    this.triangles = 0;
    for (const { mesh, color } of meshes) {
      if (mesh.indices.length === 0) continue;
      const g = this.upload(mesh);
      used.add(g);
      gl.uniform3f(this.meshProgram.loc('u_color'), color[0] / 255, color[1] / 255, color[2] / 255);
      gl.bindVertexArray(g.vao);
      gl.drawElements(gl.TRIANGLES, g.count, gl.UNSIGNED_INT, 0);
      this.triangles += g.count / 3;
    }
    this.drawLines(lines, viewProjection);
    gl.bindVertexArray(null);
    // Meshes no longer drawn (replaced after an edit, deselected) free their buffers.
    for (const g of this.live) if (!used.has(g)) this.free(g);
  }

  dispose(): void {
    for (const g of this.live) this.free(g);
    this.meshProgram.dispose();
    this.lineProgram.dispose();
  }

  private drawLines(lines: Lines, viewProjection: Mat4): void {
    if (lines.positions.length === 0) return;
    const gl = this.gl;
    this.lineProgram.use();
    gl.uniformMatrix4fv(this.lineProgram.loc('u_viewProjection'), false, viewProjection);
    gl.bindVertexArray(this.lineVao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.lineBuffers[0]);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(lines.positions), gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.lineBuffers[1]);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(lines.colors), gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 3, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.LINES, 0, lines.positions.length / 3);
  }

  private upload(mesh: SegmentMesh): GpuMesh {
    const cached = this.gpu.get(mesh);
    if (cached && this.live.has(cached)) return cached;
    const gl = this.gl;
    const vao = gl.createVertexArray()!;
    gl.bindVertexArray(vao);
    const pos = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, pos);
    gl.bufferData(gl.ARRAY_BUFFER, mesh.positions, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
    const nrm = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, nrm);
    gl.bufferData(gl.ARRAY_BUFFER, mesh.normals, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 3, gl.FLOAT, false, 0, 0);
    const idx = gl.createBuffer()!;
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, idx);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, mesh.indices, gl.STATIC_DRAW);
    gl.bindVertexArray(null);
    const g = { vao, buffers: [pos, nrm, idx], count: mesh.indices.length };
    this.gpu.set(mesh, g);
    this.live.add(g);
    return g;
  }

  private free(g: GpuMesh): void {
    this.gl.deleteVertexArray(g.vao);
    for (const b of g.buffers) this.gl.deleteBuffer(b);
    this.live.delete(g);
  }
}

const boundsCache = new WeakMap<SegmentMesh, { min: V3; max: V3 }>();

/** Bounding box (nm) of one mesh (computed once per mesh object). */
function boundsOf(m: SegmentMesh): { min: V3; max: V3 } {
  let b = boundsCache.get(m);
  if (b) return b;
  const min: V3 = [Infinity, Infinity, Infinity];
  const max: V3 = [-Infinity, -Infinity, -Infinity];
  const p = m.positions;
  for (let i = 0; i < p.length; i += 3)
    for (let a = 0; a < 3; a++) {
      if (p[i + a] < min[a]) min[a] = p[i + a];
      if (p[i + a] > max[a]) max[a] = p[i + a];
    }
  b = { min, max };
  boundsCache.set(m, b);
  return b;
}

/** Bounding box (nm) of meshes, or null when they have no vertices. */
export function meshBounds(meshes: readonly SegmentMesh[]): { min: V3; max: V3 } | null {
  const min: V3 = [Infinity, Infinity, Infinity];
  const max: V3 = [-Infinity, -Infinity, -Infinity];
  for (const m of meshes) {
    const b = boundsOf(m);
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a], b.min[a]);
      max[a] = Math.max(max[a], b.max[a]);
    }
  }
  return min[0] <= max[0] ? { min, max } : null;
}

/** The 12 edges of a box, as line segments of one colour. */
export function boxLines(min: V3, max: V3, rgb: V3, out: Lines = { positions: [], colors: [] }): Lines {
  const c = (i: number): V3 => [i & 1 ? max[0] : min[0], i & 2 ? max[1] : min[1], i & 4 ? max[2] : min[2]];
  for (let i = 0; i < 8; i++)
    for (const bit of [1, 2, 4]) {
      if (i & bit) continue;
      out.positions.push(...c(i), ...c(i | bit));
      out.colors.push(...rgb, ...rgb);
    }
  return out;
}

/** The outline of the plane `axis = value` (nm, axis 0 = x) across a box. */
export function planeLines(min: V3, max: V3, axis: 0 | 1 | 2, value: number, rgb: V3, out: Lines): Lines {
  const [a, b] = [0, 1, 2].filter((i) => i !== axis);
  const corner = (u: number, v: number): V3 => {
    const p: V3 = [0, 0, 0];
    p[axis] = value;
    p[a] = u ? max[a] : min[a];
    p[b] = v ? max[b] : min[b];
    return p;
  };
  const ring = [corner(0, 0), corner(1, 0), corner(1, 1), corner(0, 1)];
  for (let i = 0; i < 4; i++) {
    out.positions.push(...ring[i], ...ring[(i + 1) % 4]);
    out.colors.push(...rgb, ...rgb);
  }
  return out;
}
