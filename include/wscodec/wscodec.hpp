// wscodec/wscodec.hpp — umbrella include: every public header of wscodec.
#pragma once

#include <wscodec/close.hpp>
#include <wscodec/close_code.hpp>
#include <wscodec/error.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/mask.hpp>
#include <wscodec/utf8.hpp>
