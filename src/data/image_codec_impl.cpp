// stb is header-only: its implementations are compiled here, once. Debian's libstb.a
// would do too, but compiling them ourselves keeps the decoder's options in view.
#define STB_IMAGE_IMPLEMENTATION
// Datasets hold PNG and JPEG images: stb's other decoders (GIF, PSD, HDR, PIC, PNM, TGA,
// BMP) would only widen what a crafted file can reach.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
