import type { CachedChunk, VoxelData } from '../core/chunk-cache';
import type { PlanLevel } from '../core/chunk-plan';
import { VIEW_AXES, type Camera, type Vec3, type ViewKind } from '../core/geometry';
import type { GpuHashTable } from '../core/gpu-hash-table';
import type { ImageDisplay } from '../core/image-window';
import type { TextureFormat, VoxelFormat } from '../core/voxel-format';
import { Program } from './program';
import { imageFragmentShader, labelFragmentShader, QUAD_VS, STENCIL_FS, type LabelShaderFeatures, type SamplerKind } from './shaders';

export interface GpuChunk {
  texture: WebGLTexture;
}

export type ViewerChunk = CachedChunk<GpuChunk>;

export interface LabelDisplay {
  opacity: number;
  selectedOpacity: number;
  outline: boolean;
  showOnlySelected: boolean;
}

/** GPU copies of a label layer's hash tables (fragment -> segment mapping, segment attributes). */
export class LabelTables {
  mapTexture: WebGLTexture | null = null;
  attrTexture: WebGLTexture | null = null;

  constructor(
    readonly mapping: GpuHashTable,
    readonly attributes: GpuHashTable,
  ) {}
}

export interface LevelChunks {
  level: PlanLevel;
  chunks: ViewerChunk[];
}

interface LayerDrawBase {
  /** Finest (the level chosen for the zoom) first, then coarser fallbacks. */
  levels: LevelChunks[];
  format: VoxelFormat;
}

export interface ImageLayerDraw extends LayerDrawBase {
  kind: 'image';
  display: ImageDisplay;
}

export interface LabelLayerDraw extends LayerDrawBase {
  kind: 'labels';
  display: LabelDisplay;
  tables: LabelTables;
  hover: bigint | null;
}

export type LayerDraw = ImageLayerDraw | LabelLayerDraw;

export interface PaneDraw {
  view: ViewKind;
  camera: Camera;
  /** Level-0 voxel size, nm. */
  resolution: Vec3;
  /** Level-0 shape. */
  shape: Vec3;
  /** CSS size of the pane (the camera works in CSS pixels). */
  cssWidth: number;
  cssHeight: number;
  /** Device-pixel rectangle in GL window coordinates (origin bottom-left). */
  viewport: { x: number; y: number; width: number; height: number };
  background: [number, number, number];
  layers: LayerDraw[];
}

const GL_FORMATS: Record<TextureFormat, { internal: number; format: number; type: number; bytes: number }> = {
  R8UI: { internal: 0x8232, format: 0x8d94, type: 0x1401, bytes: 1 },
  R8I: { internal: 0x8231, format: 0x8d94, type: 0x1400, bytes: 1 },
  R16UI: { internal: 0x8234, format: 0x8d94, type: 0x1403, bytes: 2 },
  R16I: { internal: 0x8233, format: 0x8d94, type: 0x1402, bytes: 2 },
  R32UI: { internal: 0x8236, format: 0x8d94, type: 0x1405, bytes: 4 },
  R32I: { internal: 0x8235, format: 0x8d94, type: 0x1404, bytes: 4 },
  R32F: { internal: 0x822e, format: 0x1903, type: 0x1406, bytes: 4 },
  RG32UI: { internal: 0x823c, format: 0x8228, type: 0x1405, bytes: 8 },
};

const ZERO_VOXEL: Record<TextureFormat, () => ArrayBufferView> = {
  R8UI: () => new Uint8Array(1),
  R8I: () => new Int8Array(1),
  R16UI: () => new Uint16Array(1),
  R16I: () => new Int16Array(1),
  R32UI: () => new Uint32Array(1),
  R32I: () => new Int32Array(1),
  R32F: () => new Float32Array(1),
  RG32UI: () => new Uint32Array(2),
};

function axisVector(axis: number): [number, number, number] {
  const v: [number, number, number] = [0, 0, 0];
  v[2 - axis] = 1; // texture (x, y, z) = volume (axis 2, axis 1, axis 0)
  return v;
}

/**
 * Draws slices through cached chunk textures. One canvas serves every pane (viewport +
 * scissor per pane); each layer draws its finest loaded level first and marks covered
 * screen area in the stencil buffer so coarser fallback chunks only fill the gaps.
 */
export class SliceRenderer {
  private readonly quad: WebGLBuffer;
  private readonly vao: WebGLVertexArrayObject;
  private readonly imagePrograms = new Map<SamplerKind, Program>();
  private readonly labelPrograms = new Map<string, Program>();
  private readonly stencilProgram: Program;
  private readonly emptyTable: WebGLTexture;
  private readonly zeros = new Map<TextureFormat, WebGLTexture>();
  drawCalls = 0;

  constructor(readonly gl: WebGL2RenderingContext) {
    this.quad = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    this.vao = gl.createVertexArray()!;
    gl.bindVertexArray(this.vao);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    this.stencilProgram = new Program(gl, QUAD_VS, STENCIL_FS, 'stencil');
    this.emptyTable = this.createTableTexture(new Uint32Array(4), 1, 1);
  }

  /** Uploads a chunk's voxels as a 3D texture; returns the GPU bytes used. */
  upload(chunk: ViewerChunk, format: VoxelFormat): number {
    const gl = this.gl;
    if (!chunk.data) return 0;
    const f = GL_FORMATS[format.texture];
    const texture = chunk.gpu?.texture ?? gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_3D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const [z, y, x] = chunk.shape;
    gl.texImage3D(gl.TEXTURE_3D, 0, f.internal, x, y, z, 0, f.format, f.type, chunk.data as ArrayBufferView);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_WRAP_R, gl.CLAMP_TO_EDGE);
    chunk.gpu = { texture };
    return x * y * z * f.bytes;
  }

  release(chunk: ViewerChunk): void {
    if (chunk.gpu) this.gl.deleteTexture(chunk.gpu.texture);
    chunk.gpu = null;
  }

  /** Uploads whatever changed in a label layer's hash tables since the last frame. */
  syncTables(t: LabelTables): void {
    t.mapTexture = this.syncTable(t.mapping, t.mapTexture);
    t.attrTexture = this.syncTable(t.attributes, t.attrTexture);
  }

  releaseTables(t: LabelTables): void {
    if (t.mapTexture) this.gl.deleteTexture(t.mapTexture);
    if (t.attrTexture) this.gl.deleteTexture(t.attrTexture);
    t.mapTexture = t.attrTexture = null;
  }

  clear(viewport: PaneDraw['viewport'], rgb: [number, number, number]): void {
    const gl = this.gl;
    gl.enable(gl.SCISSOR_TEST);
    gl.viewport(viewport.x, viewport.y, viewport.width, viewport.height);
    gl.scissor(viewport.x, viewport.y, viewport.width, viewport.height);
    gl.clearColor(rgb[0], rgb[1], rgb[2], 1);
    gl.clearStencil(0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.STENCIL_BUFFER_BIT);
  }

  drawPane(pane: PaneDraw): void {
    const gl = this.gl;
    this.clear(pane.viewport, pane.background);
    gl.bindVertexArray(this.vao);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    for (const layer of pane.layers) {
      if (layer.levels.length > 1) gl.clear(gl.STENCIL_BUFFER_BIT);
      const program =
        layer.kind === 'image'
          ? this.imageProgram(layer.format.sampler)
          : this.labelsProgram({ map: layer.tables.mapping.size > 0, attrs: layer.tables.attributes.size > 0, outline: layer.display.outline });
      layer.levels.forEach((lc, i) => {
        const last = i === layer.levels.length - 1;
        // Colour where no finer level has drawn yet...
        program.use();
        this.setLayerUniforms(program, layer);
        gl.colorMask(true, true, true, true);
        if (i === 0) gl.disable(gl.STENCIL_TEST);
        else gl.enable(gl.STENCIL_TEST);
        gl.stencilFunc(gl.EQUAL, 0, 0xff);
        gl.stencilOp(gl.KEEP, gl.KEEP, gl.KEEP);
        for (const c of lc.chunks) {
          if (layer.kind === 'labels' && !c.data) continue; // all background
          this.drawChunk(program, pane, lc.level, c, layer.kind === 'image', layer.format);
        }
        // ...then mark this level's footprint so coarser levels leave it alone (the usual single,
        // complete level needs no stencil at all: a software rasteriser pays for every pass).
        if (last) return;
        gl.enable(gl.STENCIL_TEST);
        this.stencilProgram.use();
        gl.colorMask(false, false, false, false);
        gl.stencilFunc(gl.ALWAYS, 1, 0xff);
        gl.stencilOp(gl.KEEP, gl.KEEP, gl.REPLACE);
        for (const c of lc.chunks) this.drawChunk(this.stencilProgram, pane, lc.level, c, false);
      });
    }
    gl.colorMask(true, true, true, true);
    gl.disable(gl.STENCIL_TEST);
    gl.disable(gl.BLEND);
  }

  private setLayerUniforms(p: Program, layer: LayerDraw): void {
    const gl = this.gl;
    if (layer.kind === 'image') {
      const d = layer.display;
      gl.uniform1f(p.loc('u_min'), d.min);
      gl.uniform1f(p.loc('u_max'), d.max);
      gl.uniform1f(p.loc('u_gamma'), Math.max(0.01, d.gamma));
      gl.uniform1i(p.loc('u_invert'), d.invert ? 1 : 0);
      gl.uniform3f(p.loc('u_color'), d.color[0], d.color[1], d.color[2]);
      gl.uniform1f(p.loc('u_opacity'), d.opacity);
      gl.uniform1i(p.loc('u_data'), 0);
      return;
    }
    const d = layer.display;
    this.syncTables(layer.tables);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, layer.tables.mapTexture ?? this.emptyTable);
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_2D, layer.tables.attrTexture ?? this.emptyTable);
    gl.activeTexture(gl.TEXTURE0);
    gl.uniform1i(p.loc('u_data'), 0);
    gl.uniform1i(p.loc('u_map'), 1);
    gl.uniform1i(p.loc('u_attrs'), 2);
    gl.uniform1f(p.loc('u_opacity'), d.opacity);
    gl.uniform1f(p.loc('u_selectedOpacity'), d.selectedOpacity);
    gl.uniform1i(p.loc('u_showOnlySelected'), d.showOnlySelected ? 1 : 0);
    gl.uniform1ui(p.loc('u_mapShift'), Math.log2(layer.tables.mapping.width));
    gl.uniform1ui(p.loc('u_attrsShift'), Math.log2(layer.tables.attributes.width));
    const hover = layer.hover ?? 0n;
    gl.uniform2ui(p.loc('u_hover'), Number(hover & 0xffffffffn), Number(hover >> 32n));
  }

  /** One quad over the part of a chunk that the pane's slice cuts through. */
  private drawChunk(p: Program, pane: PaneDraw, level: PlanLevel, c: ViewerChunk, isImage: boolean, format?: VoxelFormat): void {
    const gl = this.gl;
    const { h, v, n } = VIEW_AXES[pane.view];
    const f = level.factors;
    const cs = level.chunkShape;
    const origin = [c.coord[0] * cs[0], c.coord[1] * cs[1], c.coord[2] * cs[2]];
    const slice = Math.floor(Math.floor(pane.camera.position[n]) / f[n]) - origin[n];
    if (slice < 0 || slice >= c.shape[n]) return;
    // The chunk's footprint in level-0 voxels, clipped to the volume.
    const min0h = origin[h] * f[h];
    const min0v = origin[v] * f[v];
    const max0h = Math.min(pane.shape[h], (origin[h] + Math.min(c.shape[h], level.shape[h] - origin[h])) * f[h]);
    const max0v = Math.min(pane.shape[v], (origin[v] + Math.min(c.shape[v], level.shape[v] - origin[v])) * f[v]);
    if (max0h <= min0h || max0v <= min0v) return;
    const { position, zoom } = pane.camera;
    const sx = (x0: number) => pane.cssWidth / 2 + ((x0 - position[h]) * pane.resolution[h]) / zoom;
    const sy = (y0: number) => pane.cssHeight / 2 + ((y0 - position[v]) * pane.resolution[v]) / zoom;
    const x0 = sx(min0h);
    const x1 = sx(max0h);
    const y0 = sy(min0v);
    const y1 = sy(max0v);
    if (x1 < 0 || y1 < 0 || x0 > pane.cssWidth || y0 > pane.cssHeight) return;
    gl.uniform4f(p.loc('u_rect'), (x0 / pane.cssWidth) * 2 - 1, 1 - (y0 / pane.cssHeight) * 2, (x1 / pane.cssWidth) * 2 - 1, 1 - (y1 / pane.cssHeight) * 2);
    gl.uniform2f(p.loc('u_extent'), (max0h - min0h) / f[h], (max0v - min0v) / f[v]);
    if (p !== this.stencilProgram) {
      gl.uniform3iv(p.loc('u_hAxis'), axisVector(h));
      gl.uniform3iv(p.loc('u_vAxis'), axisVector(v));
      gl.uniform3iv(p.loc('u_nAxis'), axisVector(n));
      gl.uniform1i(p.loc('u_slice'), slice);
      if (c.gpu) gl.bindTexture(gl.TEXTURE_3D, c.gpu.texture);
      else if (isImage && format) gl.bindTexture(gl.TEXTURE_3D, this.zeroTexture(format));
      else return;
    }
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    this.drawCalls++;
  }

  /** A 1x1x1 texture of zeros per format: what an all-zero image chunk samples. */
  private zeroTexture(format: VoxelFormat): WebGLTexture {
    let t = this.zeros.get(format.texture);
    if (!t) {
      const gl = this.gl;
      const f = GL_FORMATS[format.texture];
      t = gl.createTexture()!;
      gl.bindTexture(gl.TEXTURE_3D, t);
      gl.texImage3D(gl.TEXTURE_3D, 0, f.internal, 1, 1, 1, 0, f.format, f.type, ZERO_VOXEL[format.texture]());
      gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      this.zeros.set(format.texture, t);
    }
    return t;
  }

  private imageProgram(kind: SamplerKind): Program {
    let p = this.imagePrograms.get(kind);
    if (!p) {
      p = new Program(this.gl, QUAD_VS, imageFragmentShader(kind), `image-${kind}`);
      this.imagePrograms.set(kind, p);
    }
    return p;
  }

  private labelsProgram(f: LabelShaderFeatures): Program {
    const key = `${+f.map}${+f.attrs}${+f.outline}`;
    let p = this.labelPrograms.get(key);
    if (!p) {
      p = new Program(this.gl, QUAD_VS, labelFragmentShader(f), `labels-${key}`);
      this.labelPrograms.set(key, p);
    }
    return p;
  }

  private createTableTexture(data: Uint32Array, width: number, height: number): WebGLTexture {
    const gl = this.gl;
    const t = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32UI, width, height, 0, gl.RGBA_INTEGER, gl.UNSIGNED_INT, data);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    return t;
  }

  private syncTable(table: GpuHashTable, texture: WebGLTexture | null): WebGLTexture | null {
    const dirty = table.takeDirtyRows();
    if (!dirty && texture) return texture;
    const gl = this.gl;
    if (!texture || !dirty || dirty.all) {
      if (texture) gl.deleteTexture(texture);
      return this.createTableTexture(table.data, table.width, table.height);
    }
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const w = table.width;
    const rows = dirty.to - dirty.from + 1;
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, dirty.from, w, rows, gl.RGBA_INTEGER, gl.UNSIGNED_INT, table.data.subarray(dirty.from * w * 4, (dirty.from + rows) * w * 4));
    return texture;
  }

  /** Reads back device pixels of the drawing buffer (debug hook, screenshots). */
  readPixels(x: number, y: number, width: number, height: number): Uint8Array {
    const out = new Uint8Array(width * height * 4);
    this.gl.readPixels(x, y, width, height, this.gl.RGBA, this.gl.UNSIGNED_BYTE, out);
    return out;
  }

  dispose(): void {
    const gl = this.gl;
    for (const p of this.imagePrograms.values()) p.dispose();
    for (const p of this.labelPrograms.values()) p.dispose();
    this.stencilProgram.dispose();
    gl.deleteBuffer(this.quad);
    gl.deleteVertexArray(this.vao);
    gl.deleteTexture(this.emptyTable);
    for (const t of this.zeros.values()) gl.deleteTexture(t);
  }
}

export type { VoxelData };
