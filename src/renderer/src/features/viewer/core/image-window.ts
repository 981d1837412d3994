/**
 * Display of image intensities: a window [min, max] of data values maps to black..white,
 * then gamma and optional inversion. Brightness and contrast are another way to move the
 * same window, relative to the layer's data range (as in Fiji's B&C dialog).
 */

export interface ImageDisplay {
  min: number;
  max: number;
  /** >1 brightens mid-tones: out = t^(1/gamma). */
  gamma: number;
  invert: boolean;
  opacity: number;
  /** Tint multiplied into the grey value, 0..1 per channel. */
  color: [number, number, number];
}

export function defaultImageDisplay(range: [number, number]): ImageDisplay {
  return { min: range[0], max: range[1] > range[0] ? range[1] : range[0] + 1, gamma: 1, invert: false, opacity: 1, color: [1, 1, 1] };
}

/** The grey level (0..1) a value is shown with: the same formula as the image shader. */
export function displayValue(v: number, d: Pick<ImageDisplay, 'min' | 'max' | 'gamma' | 'invert'>): number {
  const width = d.max - d.min;
  let t = width === 0 ? (v >= d.max ? 1 : 0) : (v - d.min) / width;
  t = Math.min(1, Math.max(0, t));
  if (d.invert) t = 1 - t;
  return t ** (1 / d.gamma);
}

/**
 * Brightness in [-1, 1] moves the window's centre across the data range (positive = brighter,
 * i.e. a lower centre); contrast in [-1, 1] scales its width by 2^(-4 contrast).
 */
export function windowFromBrightnessContrast(range: [number, number], brightness: number, contrast: number): { min: number; max: number } {
  const span = Math.max(range[1] - range[0], Number.EPSILON);
  const centre = (range[0] + range[1]) / 2 - brightness * span;
  const width = span * 2 ** (-4 * contrast);
  return { min: centre - width / 2, max: centre + width / 2 };
}

export function brightnessContrastOfWindow(range: [number, number], min: number, max: number): { brightness: number; contrast: number } {
  const span = Math.max(range[1] - range[0], Number.EPSILON);
  const centre = (min + max) / 2;
  const width = Math.max(max - min, Number.EPSILON);
  return {
    brightness: ((range[0] + range[1]) / 2 - centre) / span,
    contrast: -Math.log2(width / span) / 4,
  };
}
