# A badger2040 module for MicroPython without the hardware: the same calls as the two real APIs (old: pen,
# thickness, update_speed, font, text(message, x, y, scale=1.0); new: set_pen, set_thickness, set_update_speed,
# set_font, text(text, x, y, wordwrap, scale=2)) drawing onto a 296x128 framebuf; SCREEN holds the pixels.
# odbackup's preview imports it alone. The Badger emulator (test/harness/badger) adds a `badger_host` module:
# then update() hands the screen to the emulator and takes the refresh time, buttons are the emulator's, and
# halt() waits for a button like the real one does on USB power, interruptible by Ctrl-C.
import framebuf

try:
    import badger_host as _host
except ImportError:
    _host = None

WIDTH = 296
HEIGHT = 128
UPDATE_NORMAL = 0
UPDATE_MEDIUM = 1
UPDATE_FAST = 2
UPDATE_TURBO = 3
BUTTON_A = 12
BUTTON_B = 13
BUTTON_C = 14
BUTTON_UP = 15
BUTTON_DOWN = 11
BUTTON_USER = 23
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

    def _ink(self):
        # 0..7 are black or dark dithers, 8..15 light ones and white: 1 bit per pixel here
        return 1 if self._colour < 8 else 0

    def clear(self):
        _fb.fill(self._ink())

    def rectangle(self, x, y, w, h):
        _fb.fill_rect(x, y, w, h, self._ink())

    def line(self, x1, y1, x2, y2, *thickness):
        _fb.line(x1, y1, x2, y2, self._ink())

    def pixel(self, x, y):
        _fb.pixel(x, y, self._ink())

    def _text(self, text, x, y, scale):
        # framebuf's 8x8 font, scaled by whole pixels
        value = self._ink()
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
        if _host:
            import binascii

            _host.refresh(binascii.hexlify(SCREEN).decode())

    def partial_update(self, *args):
        self.update()

    def led(self, brightness):
        pass

    def pressed(self, button):
        return bool(_host and _host.pressed(button))

    def _any_pressed(self):
        return any(self.pressed(b) for b in (BUTTON_A, BUTTON_B, BUTTON_C, BUTTON_UP, BUTTON_DOWN))

    def halt(self):
        # On USB power the real halt() cannot cut the power: it waits for a button.
        while _host and not self._any_pressed():
            _host.wait(50)


class _OldDisplay(_Display):
    def pen(self, colour):
        self._set_pen(colour)

    def thickness(self, value):
        pass

    def update_speed(self, speed):
        pass

    def font(self, name):
        pass

    def text(self, message, x, y, scale=1.0, rotation=0.0, letter_spacing=1):
        self._text(message, x, y, scale)


class _NewDisplay(_Display):
    def set_pen(self, colour):
        self._set_pen(colour)

    def set_thickness(self, value):
        pass

    def set_update_speed(self, speed):
        pass

    def set_font(self, name):
        pass

    def text(self, text, x, y, wordwrap=2147483647, scale=None, angle=0, spacing=1, fixed_width=False):
        self._text(text, x, y, 2 if scale is None else scale)

    def pressed_any(self):
        return self._any_pressed()


def Badger2040():
    return _NewDisplay() if API == "new" else _OldDisplay()
