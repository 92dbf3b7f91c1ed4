import Foundation

exit(Palisadectl.main(Array(CommandLine.arguments.dropFirst())))
