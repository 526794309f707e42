/* analyzers/dotnet.h - the .NET analyzer (see dotnet.c). */
#ifndef RS_ANALYZER_DOTNET_H
#define RS_ANALYZER_DOTNET_H

#include "index.h"

extern const rs_analyzer rs_analyzer_dotnet;

#endif
