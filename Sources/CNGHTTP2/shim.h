#ifndef PALISADE_CNGHTTP2_SHIM_H
#define PALISADE_CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>

// Frame fields that sit behind a union in nghttp2_frame; reading them here keeps the Swift side
// free of union punning.
static inline uint8_t palisade_nghttp2_frame_type(const nghttp2_frame *frame) { return frame->hd.type; }
static inline uint8_t palisade_nghttp2_frame_flags(const nghttp2_frame *frame) { return frame->hd.flags; }
static inline int32_t palisade_nghttp2_frame_stream_id(const nghttp2_frame *frame) { return frame->hd.stream_id; }
static inline size_t palisade_nghttp2_frame_length(const nghttp2_frame *frame) { return frame->hd.length; }
static inline int palisade_nghttp2_headers_category(const nghttp2_frame *frame) { return frame->headers.cat; }
#endif
