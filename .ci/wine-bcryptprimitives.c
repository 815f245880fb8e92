/* bcryptprimitives.dll for Wine 8.0, which has none: Rust's std (1.78 on) gets its random
 * bytes, for HashMap's keys among others, from ProcessPrng in this DLL, which every Windows
 * since 10 has. Without it, a Rust program built for Windows does not start under Debian
 * bookworm's Wine (status 53, nothing printed). Wine 9 has the DLL; bookworm has no newer Wine.
 *
 * `.ci/wine-test` builds it with mingw-w64 into the Wine prefix's system32:
 *
 *     x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll wine-bcryptprimitives.c
 *
 * ProcessPrng here is RtlGenRandom (advapi32's SystemFunction036), which Wine has, called in
 * pieces of at most 4 GiB - 1 (its length is a ULONG). Like Windows' own, it never fails. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG piece = length > 0xffffffffu ? 0xffffffffu : (ULONG)length;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
