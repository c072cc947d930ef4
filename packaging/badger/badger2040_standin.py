# A badger2040 module for MicroPython without the hardware: the same drawing calls (old API: pen, thickness,
# update_speed, font; new API: set_pen, set_thickness, set_update_speed, set_font) onto a 296x128 framebuf.
# odbackup's preview and the Badger emulator run the board program against it; SCREEN holds the pixels.
import framebuf

WIDTH = 296
HEIGHT = 128
UPDATE_NORMAL = 0
UPDATE_MEDIUM = 1
UPDATE_FAST = 2
UPDATE_TURBO = 3
API = "new"

SCREEN = bytearray(WIDTH * HEIGHT // 8)
_fb = framebuf.FrameBuffer(SCREEN, WIDTH, HEIGHT, framebuf.MONO_HLSB)
_glyph_buf = bytearray(8)
_glyph = framebuf.FrameBuffer(_glyph_buf, 8, 8, framebuf.MONO_HLSB)
UPDATES = []


class _Display:
    def __init__(self):
        self._colour = 0

    def _set_pen(self, colour):
        self._colour = colour

    def clear(self):
        _fb.fill(1 if self._colour < 8 else 0)

    def rectangle(self, x, y, w, h):
        _fb.fill_rect(x, y, w, h, 1 if self._colour < 8 else 0)

    def line(self, x1, y1, x2, y2, *thickness):
        _fb.line(x1, y1, x2, y2, 1 if self._colour < 8 else 0)

    def pixel(self, x, y):
        _fb.pixel(x, y, 1 if self._colour < 8 else 0)

    def text(self, text, x, y, wordwrap=WIDTH, scale=1, *rest):
        # framebuf's 8x8 font, scaled: black (pen < 8) sets bits, white clears them
        value = 1 if self._colour < 8 else 0
        scale = max(1, int(scale))
        for index, char in enumerate(text):
            _glyph.fill(0)
            _glyph.text(char, 0, 0, 1)
            left = x + index * 8 * scale
            for gy in range(8):
                for gx in range(8):
                    if _glyph.pixel(gx, gy):
                        _fb.fill_rect(left + gx * scale, y + gy * scale, scale, scale, value)

    def update(self):
        UPDATES.append(1)

    def partial_update(self, *args):
        UPDATES.append(1)


class _OldDisplay(_Display):
    def pen(self, colour):
        self._set_pen(colour)

    def thickness(self, value):
        pass

    def update_speed(self, speed):
        pass

    def font(self, name):
        pass


class _NewDisplay(_Display):
    def set_pen(self, colour):
        self._set_pen(colour)

    def set_thickness(self, value):
        pass

    def set_update_speed(self, speed):
        pass

    def set_font(self, name):
        pass


def Badger2040():
    return _NewDisplay() if API == "new" else _OldDisplay()
