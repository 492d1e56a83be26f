import Foundation
import PulseRuntime

WorkerMain.run(ExtractorHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
