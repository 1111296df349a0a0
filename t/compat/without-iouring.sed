# SPDX-License-Identifier: BSD-2-Clause
# t/compat/without-iouring.sed - libev 4.33's traces as a libev built with EV_USE_IOURING 0
# prints them (t/compat/run, for a library built without io_uring: ./configure --enable-small):
# the supported and embeddable backend sets without io_uring's bit (0x80), and no io_uring loop.
s/^supported 0x87 recommended 0x7 embeddable&supported 0x84$/supported 0x7 recommended 0x7 embeddable\&supported 0x4/
s/^io_uring loop: created$/io_uring loop: NULL/
