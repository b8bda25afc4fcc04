package oss

import "hash/crc64"

// crc64Combine returns the CRC-64/ECMA (as hash/crc64 computes it with the
// ECMA table) of A||B given crc(A), crc(B) and len(B), without reading the
// data: the GF(2) matrix method of zlib's crc32_combine, for the reflected
// 64-bit ECMA polynomial. It lets CompleteMultipartUpload report the CRC of
// a multi-gigabyte object from its parts' CRCs.
func crc64Combine(crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [64]uint64
	odd[0] = crc64.ECMA
	row := uint64(1)
	for i := 1; i < 64; i++ {
		odd[i] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd) // first pass: one zero byte
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[64]uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[64]uint64) {
	for n := 0; n < 64; n++ {
		square[n] = gf2Times(mat, mat[n])
	}
}
